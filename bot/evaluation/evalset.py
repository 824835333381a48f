"""The eval-set format: JSON lines of questions with the text a correct source must contain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.errors import InvalidInputError
from ingest.text import LANGUAGES, Language, detect_language, fold

# What a question tests: a paraphrase with no word shared with its passage, the passage's own key
# term, a number, two things at once, a language other than the passage's, or out of scope.
KINDS = ("paraphrase", "keyword", "numeric", "multi", "crosslingual", "oos")
Split = Literal["tune", "held-out"]


def split_of(question_id: str) -> Split:
    """The half a question belongs to, fixed by its id alone: adding or reordering questions never
    moves one between the half that constants are fitted on and the half that is reported."""
    digest = hashlib.sha256(question_id.encode("utf-8")).digest()
    return "tune" if digest[0] % 2 == 0 else "held-out"


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One line of the eval set."""

    id: str
    question: str
    expect_any: tuple[str, ...]
    answerable: bool
    lang: Language
    kind: str = ""

    @property
    def split(self) -> Split:
        """``tune`` or ``held-out`` (see ``split_of``)."""
        return split_of(self.id)

    def matches(self, text: str) -> bool:
        """Whether a source's text contains one of the expected strings (after NFKC and script folding)."""
        folded = fold(text)
        return any(fold(expected) in folded for expected in self.expect_any)


def load_eval_set(path: Path) -> list[EvalQuestion]:
    """Read and validate an eval file; errors name the line and the field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read eval file: {exc}") from exc
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where}: each line must be a JSON object")
        qid = data.get("id")
        question = data.get("question")
        expect_any = data.get("expect_any", [])
        answerable = data.get("answerable", True)
        if not isinstance(qid, str) or not qid:
            raise InvalidInputError(f"{where}: field 'id' must be a non-empty string")
        if qid in seen:
            raise InvalidInputError(f"{where}: duplicate id {qid!r}")
        if not isinstance(question, str) or not question.strip():
            raise InvalidInputError(f"{where}: field 'question' must be a non-empty string")
        if not isinstance(expect_any, list) or not all(isinstance(item, str) and item for item in expect_any):
            raise InvalidInputError(f"{where}: field 'expect_any' must be a list of non-empty strings")
        if not isinstance(answerable, bool):
            raise InvalidInputError(f"{where}: field 'answerable' must be true or false")
        if answerable and not expect_any:
            raise InvalidInputError(f"{where}: an answerable question needs at least one 'expect_any' string")
        lang = data.get("lang") or detect_language(question)
        if lang not in LANGUAGES:
            raise InvalidInputError(f"{where}: field 'lang' must be one of {', '.join(LANGUAGES)}")
        kind = data.get("kind", "")
        if kind and kind not in KINDS:
            raise InvalidInputError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}")
        if kind == "oos" and answerable:
            raise InvalidInputError(f"{where}: an 'oos' question must have \"answerable\": false")
        seen.add(qid)
        questions.append(
            EvalQuestion(
                id=qid,
                question=question,
                expect_any=tuple(expect_any),
                answerable=answerable,
                lang=lang,
                kind=kind or ("" if answerable else "oos"),
            )
        )
    if not questions:
        raise InvalidInputError(f"{path}: the eval file has no questions")
    return questions
