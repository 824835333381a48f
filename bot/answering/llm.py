"""Optional LLM answer mode: a LangChain chat model composes an answer from retrieved passages only.

Any failure (timeout, error, an answer that cites nothing or cites passages that do not exist) falls
back to the extractive answer: the LLM can make answers nicer, never less grounded.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Final

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import SecretStr

from bot.answering.retrieval import Hit
from bot.wording import pick
from ingest.text import Language

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.config import Settings

logger = logging.getLogger(__name__)

NO_ANSWER: Final = "NO_ANSWER"
LANGUAGE_NAMES: Final[dict[Language, str]] = {
    "zh-Hans": "Simplified Chinese (简体中文)",
    "zh-Hant": "Traditional Chinese (繁體中文)",
    "en": "English",
}
_CITATION_RE: Final = re.compile(r"\[(\d{1,2})\]")
# Passage text must not be able to close its own quotation or pose as a chat role.
_TAG_RE: Final = re.compile(
    r"</?\s*(passage|question|system|assistant|user|instructions?)\b[^>]*>", re.IGNORECASE
)


def load_prompt(name: str) -> str:
    """A prompt template from ``bot/answering/prompts``."""
    return resources.files("bot.answering").joinpath("prompts", name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class LlmReply:
    """What the model said, once checked: an answer citing passages, or a refusal."""

    text: str
    refused: bool
    cited: tuple[int, ...]


class LlmAnswerError(Exception):
    """The model failed or its reply broke the rules; the caller falls back to extractive."""


def neutralise(text: str) -> str:
    """Strip tags a passage could use to break out of its quotation."""
    return _TAG_RE.sub(" ", text)


def format_passages(hits: list[Hit]) -> str:
    """Number the passages the model may use, as quoted data."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        heading = " > ".join(part for part in (chunk.title, chunk.section) if part)
        blocks.append(
            f'<passage id="{number}" title="{neutralise(heading)}">\n{neutralise(chunk.text)}\n</passage>'
        )
    return "\n\n".join(blocks)


class LlmAnswerer:
    """Composes grounded answers with a LangChain chat model."""

    def __init__(self, *, model: BaseChatModel, timeout_s: float) -> None:
        self._model = model
        self._timeout_s = timeout_s
        self._system = load_prompt("system.md")
        self._user = load_prompt("user.md")
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm")

    def messages(
        self, *, question: str, language: Language, hits: list[Hit]
    ) -> list[SystemMessage | HumanMessage]:
        """The chat messages sent to the model."""
        language_name = pick(LANGUAGE_NAMES, language)
        return [
            SystemMessage(content=self._system.format(language_name=language_name)),
            HumanMessage(
                content=self._user.format(
                    language_name=language_name, passages=format_passages(hits), question=neutralise(question)
                )
            ),
        ]

    def compose(self, *, question: str, language: Language, hits: list[Hit]) -> LlmReply:
        """Ask the model; raises ``LlmAnswerError`` on timeout, error or an ungrounded reply."""
        messages = self.messages(question=question, language=language, hits=hits)
        future = self._pool.submit(self._model.invoke, messages)
        try:
            result = future.result(timeout=self._timeout_s)
        except FutureTimeout as exc:
            future.cancel()
            raise LlmAnswerError(f"the language model did not answer within {self._timeout_s:g} s") from exc
        except Exception as exc:  # providers raise their own error types; all mean "no answer"
            raise LlmAnswerError(f"the language model failed: {type(exc).__name__}") from exc
        return check_reply(str(result.content), passage_count=len(hits))


def check_reply(text: str, *, passage_count: int) -> LlmReply:
    """Accept a reply only if it refuses or cites existing passages and nothing else."""
    text = text.strip()
    if not text:
        raise LlmAnswerError("the language model returned an empty reply")
    if text == NO_ANSWER or text.startswith(NO_ANSWER):
        return LlmReply(text="", refused=True, cited=())
    cited = tuple(sorted({int(number) for number in _CITATION_RE.findall(text)}))
    if not cited:
        raise LlmAnswerError("the language model's reply cites no passage")
    if any(number < 1 or number > passage_count for number in cited):
        raise LlmAnswerError("the language model cited a passage that does not exist")
    return LlmReply(text=text, refused=False, cited=cited)


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The configured LangChain chat model (OpenAI-compatible endpoint or Ollama)."""
    if not settings.llm_model:
        raise ValueError("CHANGEBOT_LLM_MODEL must be set when CHANGEBOT_ANSWER_MODE=llm")
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        # Local OpenAI-compatible servers (vLLM, llama.cpp) take no key, but the client insists on one.
        api_key=settings.llm_api_key or SecretStr("not-needed"),
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )
