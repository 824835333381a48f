"""A PostgreSQL server of the test's own, in a temporary folder, that the test may stop and start.

For failure tests that must not touch the shared server (``CHANGEBOT_TEST_POSTGRES``): restart the
database under a running worker, say. Needs the server binaries (``initdb``, ``pg_ctl``, found
under /usr/lib/postgresql/*/bin or on PATH); as root it runs them as the ``postgres`` user::

    if not PrivatePostgres.available():
        pytest.skip(PrivatePostgres.missing())
    with PrivatePostgres() as server:
        engine = make_engine(server.url)
        server.stop()  # fast shutdown: open connections are cut
        server.start()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.utils.processes import free_port

_USER = "postgres"


def _bin_dir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "pg_ctl").exists() and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found and (Path(found).parent / "initdb").exists():
        return Path(found).parent
    return None


class PrivatePostgres:
    """``initdb`` into a temporary folder, ``pg_ctl start`` on a free loopback port; removed on exit.

    ``url`` is the SQLAlchemy URL of its ``postgres`` database (user ``postgres``, trust auth).
    """

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError(self.missing())
        self._bin = bin_dir
        self._as_root = os.geteuid() == 0
        self._root = Path(tempfile.mkdtemp(prefix="changebot-pg-"))
        self._data = self._root / "data"
        self._log = self._root / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://{_USER}@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        """Whether the server binaries (and, as root, the ``postgres`` user and runuser) are here."""
        if _bin_dir() is None:
            return False
        if os.geteuid() != 0:
            return True
        try:
            pwd.getpwnam(_USER)
        except KeyError:
            return False
        return shutil.which("runuser") is not None

    @staticmethod
    def missing() -> str:
        """Why ``available()`` is false, for a skip message."""
        return (
            "a private PostgreSQL server needs initdb and pg_ctl (apt-get install postgresql; "
            "looked in /usr/lib/postgresql/*/bin and PATH) and, as root, the postgres user and runuser"
        )

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", _USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        if result.returncode != 0:
            log = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}\n{log}")

    def __enter__(self) -> PrivatePostgres:
        if self._as_root:  # the server refuses to run as root: the folder is the postgres user's
            shutil.chown(self._root, user=_USER)
        self._run("initdb", "-D", str(self._data), "-U", _USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self._data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self._root}'\nfsync = off\nmax_connections = 100\n"
            )
        self.start()
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: cut every connection, roll back open transactions)."""
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "-t", "60", "stop")

    def __exit__(self, *exc: object) -> None:
        try:
            if (self._data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)
