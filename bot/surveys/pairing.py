"""The key that lets a person find their own answers again while a wave is open, and only then.

A response row has to be found again from the person who is answering (to resume, to change an
answer, to remind those who have not finished), so something must turn a person into their row.
Whatever does that, if it sits in the database, is in every copy of the database too: with the
wave's salt alone in the key (as before), a nightly backup taken while a wave was open (72 hours
by default) linked every answer of that wave to its author for good. Splitting progress and
answers into tables without a shared column does not help by itself, for the same reason: the
server still has to get from a person to their answers, from what it stores.

So the respondent key is ``HMAC(server key, wave salt : wave id : person id)``. The wave's salt is
in the database and is erased at close; the server key is never in the database. A copy of the
database alone links nothing, open wave or closed; the server key alone links nothing (it holds no
answers, and after close there is no salt to use it with). Only the two together, while the wave
is open, find a person's row, which is what the running server needs and all it gets.

The server key is ``CHANGEBOT_SURVEY_KEY`` when set (hosts that share a database must all set the
same one), else a key generated once in the data directory (``survey.key``, mode 0600) that every
process of the machine reads. The file is created atomically: written in full under a temporary
name, then hard-linked into place, which fails when another process got there first, so processes
starting together agree on one key. A damaged file is an error, never a reason to make a new key:
a new key orphans the progress of every open wave, and people answering again would count twice.

The wave services that find a person's row take the key as a required ``key=``: the domain never
reads settings of its own. Each entry point reads it once, from the ``Settings`` it was started with,
through ``bot.runtime.survey_pairing_key`` (the same object to every caller of a process), so a
process started with other settings than the environment's (tests, the CLI) uses its own key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings
from bot.errors import ChangebotError

logger = logging.getLogger(__name__)

KEY_BYTES = 32


class SurveyKeyError(ChangebotError):
    """The survey key file cannot be read or made; the message says which file and why."""


class PairingKey:
    """The server key of respondent keys; its value never appears in a repr, a log or an error."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < KEY_BYTES:
            raise ValueError(f"a survey key needs at least {KEY_BYTES} bytes")
        self._secret = secret

    def respondent_key(self, *, salt: str, wave_id: int, person_id: int) -> str:
        """The key of ``person_id``'s response in the wave with ``salt`` and ``wave_id``."""
        # The salt is hex and the ids are numbers: joined with ":" no two inputs read the same.
        message = f"{salt}:{wave_id}:{person_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "PairingKey(<hidden>)"


def load_pairing_key(*, secret: SecretStr | None, key_file: Path) -> PairingKey:
    """The configured ``secret`` if there is one, else the key in ``key_file`` (made on first use).

    Args:
        secret: ``CHANGEBOT_SURVEY_KEY``; when set, ``key_file`` is neither read nor created.
        key_file: where the generated key lives (``DATA_DIR/survey.key``).

    Raises:
        SurveyKeyError: the file is damaged, or cannot be read or created.
    """
    if secret is not None:
        return PairingKey(secret.get_secret_value().strip().encode())
    path = key_file.resolve()
    try:
        found = _read(path)
    except FileNotFoundError:
        found = _create(path)
    except OSError as exc:
        raise SurveyKeyError(f"cannot read the survey key {path}: {exc.strerror}") from exc
    return PairingKey(found)


def pairing_key(settings: Settings) -> PairingKey:
    """The survey key ``settings`` name, read (or made) now; entry points use the cached
    ``bot.runtime.survey_pairing_key`` instead."""
    made_here = settings.survey_key is None and not settings.survey_key_file.exists()
    key = load_pairing_key(secret=settings.survey_key, key_file=settings.survey_key_file)
    if made_here and not settings.database.startswith("sqlite"):
        # A server database means processes on other hosts, each of which would make a key of its
        # own in its own data folder: a wave opened by one could not be answered through another.
        logger.warning(
            "made a new survey key in %s; with processes on several hosts, give them all the same "
            "CHANGEBOT_SURVEY_KEY instead",
            settings.survey_key_file,
        )
    return key


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        found = bytes.fromhex(text)
    except ValueError:
        found = b""
    if len(found) < KEY_BYTES:
        # Not replaced: a new key would orphan every open wave's progress (see the module docstring).
        raise SurveyKeyError(
            f"the survey key {path} is damaged (expected {2 * KEY_BYTES} hex digits); restore it from "
            "where it was kept, or, if no wave is open, delete it and a new one is made"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("the survey key %s is readable by other users; chmod 600 it", path)
    return found


def _create(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as stream:
                os.fchmod(stream.fileno(), 0o600)  # exactly 0600, whatever the umask
                stream.write(secrets.token_hex(KEY_BYTES) + "\n")
                stream.flush()
                os.fsync(stream.fileno())
            # In place complete, or not at all; if another process made it first, theirs is the key.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        found = _read(path)
    except OSError as exc:
        raise SurveyKeyError(f"cannot create the survey key {path}: {exc.strerror}") from exc
    logger.info("survey key ready in %s", path)
    return found


def _fsync_dir(path: Path) -> None:
    # The new name must survive a crash: a key lost after people answered orphans their answers.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
