"""LangChain's fake chat model, recording what it was sent."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from pydantic import Field


class RecordingChatModel(FakeListChatModel):
    """Replies from a fixed list and keeps every message list it received."""

    received: list[list[BaseMessage]] = Field(default_factory=list)

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        self.received.append(list(messages))
        return super()._call(messages, *args, **kwargs)


class BrokenChatModel(FakeListChatModel):
    """Fails like a provider whose endpoint is down."""

    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise ConnectionError("connection refused")
