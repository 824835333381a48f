"""Run the product's own commands as real processes in tests: `changebot ...` and `chroma run`.

Each process writes its output to a log file in the test's tmp_path, is killed on the way out
whatever happens, and fails the test early (with its log) if it exits before it should.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on the loopback interface nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def changebot_command(*args: str) -> list[str]:
    """``changebot ARGS`` from this interpreter's environment."""
    script = Path(sys.executable).parent / "changebot"
    if not script.exists():
        found = shutil.which("changebot")
        script = Path(found) if found else script
    if script.exists():
        return [str(script), *args]
    # bot/cli/ has no ``__main__`` module, so call its typer app directly.
    return [sys.executable, "-c", "from bot.cli import run; run()", *args]


def chroma_command(*args: str) -> list[str]:
    """``chroma ARGS`` (the server that ships with the chromadb package)."""
    script = Path(sys.executable).parent / "chroma"
    return [str(script) if script.exists() else shutil.which("chroma") or "chroma", *args]


def changebot_env(tmp_path: Path, *, database_url: str, **values: str) -> dict[str, str]:
    """The environment of a child process: this one's, with no CHANGEBOT_* leaking in, plus ``values``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANGEBOT_")}
    env.update(
        {
            "CHANGEBOT_DATA_DIR": str(tmp_path / "data"),
            "CHANGEBOT_DATABASE_URL": database_url,
            "CHANGEBOT_QUIET_HOURS": "",  # else at night every copy waits for 08:00
            "CHANGEBOT_STORY_DIGEST_CRON": "",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",  # logs reach the file as they happen
        }
    )
    env.update(values)
    return env


class RunningProcess:
    """A child process and the log it writes."""

    def __init__(self, *, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def check_alive(self) -> None:
        """Fail with the log if the process has exited."""
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log_text()}")

    def wait_for_log(self, text: str, *, timeout: float = 60.0) -> None:
        """Wait until the process has printed ``text`` (it must stay alive meanwhile)."""
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {text!r} in {timeout} s:\n{self.log_text()}")
            time.sleep(0.1)

    def wait_for_http(self, url: str, *, timeout: float = 60.0) -> None:
        """Poll ``url`` until it answers 2xx (the process must stay alive meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  (a loopback URL we built)
                    if 200 <= response.status < 300:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: {url} did not answer in {timeout} s:\n{self.log_text()}")

    def stop(self, *, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it lingers; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=timeout)


@contextmanager
def running(
    tmp_path: Path, name: str, command: Sequence[str], *, env: dict[str, str], cwd: Path | None = None
) -> Iterator[RunningProcess]:
    """Run ``command``, logging to ``tmp_path/NAME.log``; killed on the way out whatever happens."""
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603  (our own entry points, no shell)
            list(command), cwd=cwd or tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield RunningProcess(name=name, process=process, log=log_path)
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def running_changebot(
    tmp_path: Path, name: str, args: Sequence[str], *, env: dict[str, str]
) -> Iterator[RunningProcess]:
    """``changebot ARGS`` as a child process (see ``running``)."""
    with running(tmp_path, name, changebot_command(*args), env=env) as process:
        yield process
