"""A fake Telegram Bot API server speaking the real JSON over HTTP, for end-to-end bot tests.

The bot under test is pointed at it through ``CHANGEBOT_TELEGRAM_BASE_URL``. Tests push updates
(a user's message, a button press) and read back every method the bot called.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Parameters PTB sends JSON-encoded; every other value is sent as the plain string.
_JSON_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "allowed_updates", "reply_markup", "commands",
        "show_alert", "cache_time", "reply_parameters", "link_preview_options", "entities", "disable_notification",
        "protect_content", "drop_pending_updates", "max_connections", "message_thread_id", "scope",
    }
)  # fmt: skip

BOT_ID = 999_000


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
        """Queue a raw update (the update_id is added)."""
        with self._lock:
            self._updates.append({"update_id": next(self._update_ids), **update})

    def sent(self, method: str = "sendMessage", *, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every call to ``method`` (to ``chat_id``)."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    async def wait_for(self, predicate: Callable[[], Any], *, timeout: float = 10.0) -> Any:
        """Poll until ``predicate()`` is truthy (returns its value) or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out after {timeout} s; calls so far: {[c.method for c in self.calls]}")

    async def reply_to(self, chat_id: int, *, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until the bot has sent ``count`` more messages to ``chat_id`` than before, and return them all."""
        return list(
            await self.wait_for(
                lambda: (m := self.sent(chat_id=chat_id)) and len(m) >= count and m, timeout=timeout
            )
        )

    # ------------------------------------------------------------ the server

    async def _handle(self, request: Request) -> JSONResponse:
        token = request.path_params["token"]
        method = request.path_params["method"]
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
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
            script = self.scripted.get(method)
            scripted = script.pop(0) if script else None
        if scripted is not None:
            status, body = scripted
            return JSONResponse(body, status_code=status)
        if method == "getUpdates":
            return await self._get_updates(params)
        handler = getattr(self, f"_m_{method}", None)
        result = handler(params) if handler else True
        if isinstance(result, JSONResponse):
            return result
        return JSONResponse({"ok": True, "result": result})

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

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:  # noqa: N802
        chat_id = params.get("chat_id")
        if chat_id in self.blocked_chats:
            return JSONResponse(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                status_code=403,
            )
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group",
            },
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "changebot", "username": self.username},
            "text": params.get("text", ""),
        }

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "message_id": params.get("message_id", 0),
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id", 0), "type": "private"},
            "text": params.get("text", ""),
        }

    _m_editMessageReplyMarkup = _m_editMessageText


class FakeTelegramServer:
    """Runs a ``FakeTelegram`` on a free loopback port in a background thread."""

    def __init__(self, state: FakeTelegram | None = None) -> None:
        self.state = state or FakeTelegram()
        app = Starlette(routes=[Route("/bot{token}/{method}", self.state._handle, methods=["POST", "GET"])])
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.state.url = f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Telegram server did not start")
            time.sleep(0.01)
        return self.state

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
