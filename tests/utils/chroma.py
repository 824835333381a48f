"""A real Chroma server (`chroma run`) for tests: killed, paused and started again on the same port and folder."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx

from tests.utils.processes import chroma_command, free_port


class ChromaServer:
    """`chroma run` on one port and one data folder that outlive any single server process."""

    def __init__(self, tmp_path: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.path = tmp_path / "chroma-server"
        self.log = tmp_path / "chroma-server.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30.0) -> None:
        """Start the server and wait for its heartbeat."""
        assert self._process is None, "already running"
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603  (our own venv's executable, fixed arguments)
                chroma_command(
                    "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(
                    f"chroma run exited with {self._process.returncode}:\n{self._log_text()}"
                )
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"chroma run did not answer within {timeout} s:\n{self._log_text()}")

    def kill(self) -> None:
        """Kill the server outright, as a crash would (no graceful shutdown)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def pause(self) -> None:
        """Freeze the server: connections are still accepted, nothing is answered."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def _log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def __enter__(self) -> ChromaServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.kill()


@contextmanager
def chroma_server(tmp_path: Path, *, start: bool = True) -> Iterator[ChromaServer]:
    """A ``ChromaServer`` for one test (started unless ``start=False``), stopped on the way out.

    chromadb caches its client systems process-wide: they are dropped, and their pooled sockets
    collected, here, under the calling module's warning filters, instead of in whichever later test
    the garbage collector picks.
    """
    with ChromaServer(tmp_path) as running:
        if start:
            running.start()
        yield running
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    gc.collect()
