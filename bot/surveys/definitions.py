"""Survey definitions: the YAML files in ``knowledge/surveys/``, validated strictly.

The change team edits these files by hand, so every mistake gets a message naming the file and
the field (``resistance-pulse.yaml: questions[2].dimension: ...``) instead of a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from bot.errors import InvalidInputError
from bot.wording import pick
from ingest.text import LANGUAGES

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
MAX_QUESTIONS = 20


class Scoring(StrEnum):
    """What a high score means."""

    RESISTANCE = "resistance"  # higher = more resistance (the pulse)
    READINESS = "readiness"  # higher = more ready (ADKAR)


class Localised(BaseModel):
    """A text in every language the bot speaks."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    zh_hans: str = Field(alias="zh-Hans", min_length=1, max_length=400)
    zh_hant: str = Field(alias="zh-Hant", min_length=1, max_length=400)
    en: str = Field(min_length=1, max_length=400)

    def get(self, language: str | None) -> str:
        """The text for a reader of ``language`` (``bot.wording.pick``'s rule)."""
        return pick({"zh-Hans": self.zh_hans, "zh-Hant": self.zh_hant, "en": self.en}, language)


class Option(BaseModel):
    """One answer of a single-choice question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    text: Localised


class Question(BaseModel):
    """One question: a 1-5 rating tagged with a dimension, a single choice, or free text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    type: Literal["likert", "choice", "text"]
    text: Localised
    dimension: Identifier | None = None
    reverse: bool = False
    optional: bool = False
    options: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        if self.type == "likert" and self.dimension is None:
            raise ValueError("a likert question needs a dimension")
        if self.type != "likert" and (self.dimension is not None or self.reverse):
            raise ValueError("only likert questions have a dimension or reverse")
        if self.type == "choice":
            if not 2 <= len(self.options) <= 8:
                raise ValueError("a choice question needs 2 to 8 options")
            if len({option.id for option in self.options}) != len(self.options):
                raise ValueError("option ids must be unique")
        elif self.options:
            raise ValueError("only choice questions have options")
        return self


class Scale(BaseModel):
    """The five labels under every rating, per language."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    zh_hans: tuple[str, str, str, str, str] = Field(alias="zh-Hans")
    zh_hant: tuple[str, str, str, str, str] = Field(alias="zh-Hant")
    en: tuple[str, str, str, str, str]

    def get(self, language: str | None) -> tuple[str, str, str, str, str]:
        """The labels for a reader of ``language`` (``bot.wording.pick``'s rule)."""
        return pick({"zh-Hans": self.zh_hans, "zh-Hant": self.zh_hant, "en": self.en}, language)


class Survey(BaseModel):
    """A survey as the change team wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    version: int = Field(ge=1)
    scoring: Scoring
    dimensions: tuple[Identifier, ...] = Field(min_length=1, max_length=10)
    title: Localised
    intro: Localised
    scale: Scale
    questions: tuple[Question, ...] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError("dimensions must be unique")
        ids = [question.id for question in self.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(duplicates)}")
        for question in self.questions:
            if question.dimension is not None and question.dimension not in self.dimensions:
                raise ValueError(
                    f"question {question.id!r} has dimension {question.dimension!r}, "
                    f"which is not in dimensions {list(self.dimensions)}"
                )
        unused = [d for d in self.dimensions if not any(q.dimension == d for q in self.questions)]
        if unused:
            raise ValueError(f"dimensions without a question: {', '.join(unused)}")
        return self

    @property
    def scored(self) -> tuple[Question, ...]:
        """The rating questions, in order."""
        return tuple(q for q in self.questions if q.type == "likert")

    def question(self, question_id: str) -> Question:
        """The question called ``question_id``."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise InvalidInputError(f"survey {self.id!r} has no question {question_id!r}")


class SurveyFileError(InvalidInputError):
    """A survey file that cannot be used; the message names the file and the field."""


def _where(location: tuple[int | str, ...]) -> str:
    parts = ""
    for part in location:
        parts += f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part))
    return parts or "(top level)"


def parse_survey(text: str, *, name: str) -> Survey:
    """Parse one survey file's text; ``name`` is the file name, used in messages and for the id."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise SurveyFileError(f"{name}: not valid YAML{line}") from exc
    if not isinstance(raw, Mapping):
        raise SurveyFileError(f"{name}: expected a mapping with id, title, questions, ...")
    try:
        survey = Survey.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(tuple(error['loc']))}: {error['msg']}" for error in exc.errors()[:5])
        raise SurveyFileError(f"{name}: {problems}") from exc
    stem = Path(name).name.removesuffix(".yaml").removesuffix(".yml")
    if survey.id != stem:
        raise SurveyFileError(f"{name}: id: {survey.id!r} must match the file name ({stem!r})")
    return survey


def load_surveys(folder: Path) -> dict[str, Survey]:
    """Every survey in ``folder`` (``*.yaml``), by id; the first broken file stops with its message."""
    surveys: dict[str, Survey] = {}
    if not folder.is_dir():
        return surveys
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        if path.name.startswith((".", "_")):
            continue
        survey = parse_survey(path.read_text(encoding="utf-8"), name=path.name)
        surveys[survey.id] = survey
    return surveys


assert set(LANGUAGES) == {"zh-Hans", "zh-Hant", "en"}  # noqa: S101  (Localised has a field per language)
