"""A fake Telegram Bot API server speaking the real JSON over HTTP, for end-to-end bot tests.

The bot under test is pointed at it through ``CHANGEBOT_TELEGRAM_BASE_URL``. Tests push updates
(a user's message, a button press) and read back every method the bot called.

For delivery tests and the broadcast benchmark it can also answer slowly (``latency``), refuse
every n-th send with 429 (``rate_limit_every``, ``retry_after``) and chats in ``blocked_chats``
with 403, answer sends with 500 or 502 in ``error_bursts``, and it counts the messages
each chat actually received (``delivered``, with their times in ``send_log``). It runs in a
thread of the test (``FakeTelegramServer``) or as its own process, so that a benchmark does not
share a GIL with the worker under test (``FakeTelegramProcess``, or by hand)::

    python -m tests.fakes.telegram_api --port 8081 --latency 0.02 --rate-limit-every 500 \
        --retry-after 1 --blocked-file blocked.txt --error-burst 50:20

which prints one JSON line (``{"url": ..., "port": ..., "token": ...}``) once it is listening and
serves ``GET /stats`` (see ``FakeTelegram.stats``) and ``GET /log`` (``send_log``) beside the Bot API.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.utils.patience import EVENTUALLY

# Parameters PTB sends JSON-encoded; every other value is sent as the plain string.
_JSON_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "allowed_updates", "reply_markup", "commands",
        "show_alert", "cache_time", "reply_parameters", "link_preview_options", "entities", "disable_notification",
        "protect_content", "drop_pending_updates", "max_connections", "message_thread_id", "scope",
        "caption_entities", "has_spoiler", "show_caption_above_media",
    }
)  # fmt: skip

BOT_ID = 999_000
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Call:
    """One Bot API method call the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    """State of the fake server; safe to use from the test while the server thread runs."""

    token: str = "123456:TEST-TOKEN"
    username: str = "changebot_test_bot"
    calls: list[Call] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)
    # method -> responses to give (status, body) before behaving normally again
    scripted: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    # Seconds every answer takes (getUpdates excepted); the outcome is decided, and counted, on arrival.
    latency: float = 0.0
    # Every n-th sendMessage/sendPhoto (0 = never) is refused with 429 and ``retry_after`` seconds.
    rate_limit_every: int = 0
    retry_after: int = 1
    # (first, count): send requests number first+1 .. first+count (counted from 1 over every
    # sendMessage/sendPhoto) are answered 500 or 502 in turn, as Telegram does when its servers are
    # in trouble (500 with its JSON, 502 an HTML page). Counted in requests, not seconds, so a test
    # knows exactly how many errors were given however fast or slow the machine runs.
    error_bursts: list[tuple[int, int]] = field(default_factory=list)
    server_errors: int = 0  # 5xx given
    # (time.monotonic() in the server, chat id) of every message delivered, in order of arrival.
    send_log: list[tuple[float, int]] = field(default_factory=list)
    # chat id -> messages it received (answered ok); refused requests are not counted.
    delivered: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0  # 429s given
    retry_after_given: int = 0  # the seconds those 429s asked the bot to wait, summed
    forbidden: int = 0  # 403s given
    during_retry_after: int = 0  # sends that arrived while a 429's retry_after was still running
    # Once the bot has called setWebhook, pushed updates are POSTed to these URLs in turn (a load
    # balancer in front of several web processes) instead of waiting for getUpdates; empty = polling.
    webhook_targets: list[str] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_deliveries: Counter[str] = field(default_factory=Counter)
    _send_requests: int = 0
    _requests: Counter[str] = field(default_factory=Counter)
    _retry_window_until: float = 0.0
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # ------------------------------------------------------------ what tests do

    def user(
        self, user_id: int, *, first_name: str = "User", language_code: str = "zh-hans"
    ) -> dict[str, Any]:
        """A Telegram User object."""
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "zh-hans",
        reply_to_bot: bool = False,
    ) -> int:
        """Queue a message from a user; returns its message id."""
        message_id = next(self._message_ids)
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "门店群"
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language_code=language_code),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": message_id - 1,
                "date": int(time.time()),
                "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "changebot", "username": self.username},
                "text": "earlier answer",
            }
        self.push({"message": message})
        return message_id

    def press(self, user_id: int, data: str, *, message: dict[str, Any] | None = None) -> None:
        """Queue a button press with ``data`` on ``message`` (default: a message in the user's chat)."""
        message = message or {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "changebot"},
            "text": "buttons",
        }
        self.push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": self.user(user_id),
                    "chat_instance": "ci",
                    "message": message,
                    "data": data,
                }
            }
        )

    def push(self, update: dict[str, Any]) -> None:
        """Queue a raw update (the update_id is added), or deliver it to the next webhook target."""
        with self._lock:
            numbered = {"update_id": next(self._update_ids), **update}
            if not (self.webhook_url and self.webhook_targets):
                self._updates.append(numbered)
                return
            target = self.webhook_targets[sum(self.webhook_deliveries.values()) % len(self.webhook_targets)]
            self.webhook_deliveries[target] += 1
            headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        # Telegram expects a 2xx; anything else is a failure the test should see.
        httpx.post(target, json=numbered, headers=headers, timeout=30).raise_for_status()

    def sent(self, method: str = "sendMessage", *, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every call to ``method`` (to ``chat_id``)."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def stats(self) -> dict[str, Any]:
        """Counts for a benchmark or a test in another process (also served as ``GET /stats``).

        ``delivered`` maps each chat id (as a string, JSON keys being strings) to the messages it
        received; ``retry_after_seconds`` is the sum of the pauses the 429s asked for.
        """
        with self._lock:
            return {
                "requests": dict(self._requests),
                "delivered": {str(chat): n for chat, n in self.delivered.items()},
                "messages": sum(self.delivered.values()),
                "rate_limited": self.rate_limited,
                "retry_after_seconds": self.retry_after_given,
                "forbidden": self.forbidden,
                "during_retry_after": self.during_retry_after,
                "server_errors": self.server_errors,
            }

    def log(self) -> list[tuple[float, int]]:
        """``send_log``: when each delivered message arrived (server's monotonic clock) and where to."""
        with self._lock:
            return list(self.send_log)

    async def wait_for(self, predicate: Callable[[], Any], *, timeout: float = EVENTUALLY) -> Any:
        """Poll until ``predicate()`` is truthy (returns its value); failing after ``timeout`` seconds means a hang."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out after {timeout} s; calls so far: {[c.method for c in self.calls]}")

    async def reply_to(
        self, chat_id: int, *, count: int = 1, timeout: float = EVENTUALLY
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent ``count`` more messages to ``chat_id`` than before, and return them all."""
        return list(
            await self.wait_for(
                lambda: (m := self.sent(chat_id=chat_id)) and len(m) >= count and m, timeout=timeout
            )
        )

    # ------------------------------------------------------------ the server

    async def _handle(self, request: Request) -> Response:
        token = request.path_params["token"]
        method = request.path_params["method"]
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, UploadFile):  # an uploaded file: keep its name, not its bytes
                params[key] = f"upload:{value.filename}"
                continue
            raw = str(value)
            if key in _JSON_PARAMS:
                try:
                    params[key] = json.loads(raw)
                except ValueError:
                    params[key] = raw
            else:
                params[key] = raw
        with self._lock:
            self.calls.append(Call(method, params))
            self._requests[method] += 1
            script = self.scripted.get(method)
            scripted = script.pop(0) if script else None
        if scripted is not None:
            status, body = scripted
            response: Response = JSONResponse(body, status_code=status)
        elif method == "getUpdates":
            return await self._get_updates(params)
        else:
            handler = getattr(self, f"_m_{method}", None)
            result = handler(params) if handler else True
            response = (
                result if isinstance(result, Response) else JSONResponse({"ok": True, "result": result})
            )
        if self.latency > 0:
            # After the outcome is settled: a client that dies now has still had its message delivered.
            await asyncio.sleep(self.latency)
        return response

    async def _stats(self, request: Request) -> JSONResponse:
        return JSONResponse(self.stats())

    async def _log(self, request: Request) -> JSONResponse:
        return JSONResponse(self.log())

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates)
            if ready or time.monotonic() >= deadline:
                return JSONResponse({"ok": True, "result": ready})
            await asyncio.sleep(0.02)

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        with self._lock:
            self.webhook_url = str(params.get("url") or "")
            self.webhook_secret = str(params.get("secret_token") or "")
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        with self._lock:
            self.webhook_url = self.webhook_secret = ""
        return True

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802  (Bot API method name)
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "changebot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _in_error_burst(self, request_number: int) -> bool:
        return any(first < request_number <= first + count for first, count in self.error_bursts)

    def _server_error(self) -> Response:
        self.server_errors += 1
        if self.server_errors % 2:
            return JSONResponse(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, status_code=500
            )
        page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return HTMLResponse(page, status_code=502)

    def _refused(self, chat_id: Any) -> Response | None:
        """The 5xx, 429 or 403 this send gets, if any; otherwise it counts as delivered to ``chat_id``."""
        with self._lock:
            self._send_requests += 1
            now = time.monotonic()
            if self._in_error_burst(self._send_requests):
                return self._server_error()
            if now < self._retry_window_until:
                self.during_retry_after += 1
            if self.rate_limit_every and self._send_requests % self.rate_limit_every == 0:
                self.rate_limited += 1
                self.retry_after_given += self.retry_after
                self._retry_window_until = now + self.retry_after
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {self.retry_after}",
                        "parameters": {"retry_after": self.retry_after},
                    },
                    status_code=429,
                )
            if chat_id in self.blocked_chats:
                self.forbidden += 1
                return JSONResponse(
                    {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                    status_code=403,
                )
            if isinstance(chat_id, int):
                self.delivered[chat_id] += 1
                self.send_log.append((now, chat_id))
            return None

    def _message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        """A Message the bot sent to ``chat_id``."""
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group",
            },
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "changebot", "username": self.username},
            **content,
        }

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | Response:  # noqa: N802
        chat_id = params.get("chat_id")
        refused = self._refused(chat_id)
        if refused is not None:
            return refused
        return self._message(chat_id, text=params.get("text", ""))

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | Response:  # noqa: N802
        chat_id = params.get("chat_id")
        refused = self._refused(chat_id)
        if refused is not None:
            return refused
        photo = str(params.get("photo", ""))
        file_id = photo if photo and not photo.startswith("upload:") else f"AgAC-{next(self._message_ids)}"
        # Telegram answers with the photo in several sizes, smallest first.
        sizes = [
            {"file_id": file_id, "file_unique_id": f"{file_id}-{w}", "width": w, "height": w * 3 // 4,
             "file_size": w * w // 10}
            for w in (90, 320, 800, 1280)
        ]  # fmt: skip
        message = self._message(chat_id, photo=sizes)
        if params.get("caption"):
            message["caption"] = params["caption"]
        return message

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "message_id": params.get("message_id", 0),
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id", 0), "type": "private"},
            "text": params.get("text", ""),
        }

    _m_editMessageReplyMarkup = _m_editMessageText


class FakeTelegramServer:
    """Runs a ``FakeTelegram`` on a loopback port (a free one unless given) in a background thread."""

    def __init__(self, state: FakeTelegram | None = None, *, port: int = 0) -> None:
        self.state = state or FakeTelegram()
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self.state._handle, methods=["POST", "GET"]),
                Route("/stats", self.state._stats, methods=["GET"]),
                Route("/log", self.state._log, methods=["GET"]),
            ]
        )
        if port:
            self.port = port
        else:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.state.url = f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        deadline = time.monotonic() + EVENTUALLY
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Telegram server did not start")
            time.sleep(0.01)
        return self.state

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class FakeTelegramProcess:
    """Runs the fake server as its own process (``python -m tests.fakes.telegram_api``).

    Use as a context manager; ``url`` and ``token`` point a bot at it, ``stats()`` reads its counts
    and ``log()`` its ``send_log``.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        rate_limit_every: int = 0,
        retry_after: int = 1,
        blocked: Sequence[int] = (),
        error_bursts: Sequence[tuple[int, int]] = (),
        workdir: Path,
    ) -> None:
        self._args = [
            "--latency", str(latency),
            "--rate-limit-every", str(rate_limit_every),
            "--retry-after", str(retry_after),
        ]  # fmt: skip
        for first, count in error_bursts:
            self._args += ["--error-burst", f"{first}:{count}"]
        if blocked:
            blocked_file = workdir / "blocked-chats.txt"
            blocked_file.write_text("\n".join(str(chat) for chat in blocked) + "\n", encoding="utf-8")
            self._args += ["--blocked-file", str(blocked_file)]
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.token = ""
        self.stats_url = ""
        self.log_url = ""

    def __enter__(self) -> FakeTelegramProcess:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        self._process = subprocess.Popen(  # noqa: S603  (our own module, no shell)
            [sys.executable, "-m", "tests.fakes.telegram_api", *self._args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], 30)
        line = self._process.stdout.readline() if ready else ""  # one line once it listens; '' if it died
        if not line:
            self.__exit__()
            raise RuntimeError(f"fake Telegram process did not start (exit code {self._process.returncode})")
        ready = json.loads(line)
        self.url, self.token = ready["url"], ready["token"]
        self.stats_url = f"http://127.0.0.1:{ready['port']}/stats"
        self.log_url = f"http://127.0.0.1:{ready['port']}/log"
        return self

    def stats(self) -> dict[str, Any]:
        """The server's counts (see ``FakeTelegram.stats``)."""
        response = httpx.get(self.stats_url, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def log(self) -> list[tuple[float, int]]:
        """The server's ``send_log`` (see ``FakeTelegram.log``)."""
        response = httpx.get(self.log_url, timeout=30)
        response.raise_for_status()
        return [(float(at), int(chat)) for at, chat in response.json()]

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _burst(value: str) -> tuple[int, int]:
    first, _, count = value.partition(":")
    return int(first), int(count)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the fake Bot API in this process until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server.")
    parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (0 = a free one).")
    parser.add_argument("--token", default=FakeTelegram.token)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds every answer takes.")
    parser.add_argument("--rate-limit-every", type=int, default=0, help="Refuse every n-th send with 429.")
    parser.add_argument("--retry-after", type=int, default=1, help="retry_after of those 429s, seconds.")
    parser.add_argument("--blocked-file", type=Path, help="Chat ids answering 403, one a line.")
    parser.add_argument(
        "--error-burst",
        action="append",
        default=[],
        metavar="FIRST:COUNT",
        help="Answer COUNT sends with 500/502, those after the first FIRST sends; repeatable.",
    )
    args = parser.parse_args(argv)
    blocked: set[int] = set()
    if args.blocked_file:
        text = args.blocked_file.read_text(encoding="utf-8")
        blocked = {int(line) for line in text.split() if line.strip()}
    state = FakeTelegram(
        token=args.token,
        latency=args.latency,
        rate_limit_every=args.rate_limit_every,
        retry_after=max(1, args.retry_after),
        blocked_chats=blocked,
        error_bursts=[_burst(value) for value in args.error_burst],
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = FakeTelegramServer(state, port=args.port)
    with server as running:
        sys.stdout.write(json.dumps({"url": running.url, "port": server.port, "token": running.token}) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass


if __name__ == "__main__":
    main()
