"""The library's survey definitions, parsed once per process and again only when a file changes.

Every web request and chat step that needs a survey asks here: parsing YAML on each of them was
wasted work, and a process that parsed them once at start-up (the bot) kept showing a survey as it
was before the change team edited it, until a restart. A look costs one ``stat`` per file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.surveys.definitions import Survey, SurveyFileError, load_surveys

logger = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class SurveyLibrary(Mapping[str, Survey]):
    """The surveys in ``folder`` by id, always as the files now say (a broken file: logged once,
    and the surveys of the last good reading keep serving)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._signature: Signature | None = None
        self._surveys: dict[str, Survey] = {}

    def current(self) -> dict[str, Survey]:
        """The surveys as the files are now."""
        signature = self._read_signature()
        with self._lock:
            if signature != self._signature:
                self._signature = signature
                try:
                    self._surveys = load_surveys(self.folder)
                except SurveyFileError as exc:
                    logger.error("surveys not reloaded, the last good ones keep serving: %s", exc)
            return dict(self._surveys)

    def _read_signature(self) -> Signature:
        if not self.folder.is_dir():
            return ()
        files = []
        for path in sorted([*self.folder.glob("*.yaml"), *self.folder.glob("*.yml")]):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(files)

    def __getitem__(self, survey_id: str) -> Survey:
        return self.current()[survey_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())


_LIBRARIES: dict[Path, SurveyLibrary] = {}
_LIBRARIES_LOCK = threading.Lock()


def survey_library(folder: Path) -> SurveyLibrary:
    """The one ``SurveyLibrary`` of this process for ``folder``."""
    key = folder.resolve()
    with _LIBRARIES_LOCK:
        if key not in _LIBRARIES:
            _LIBRARIES[key] = SurveyLibrary(key)
        return _LIBRARIES[key]
