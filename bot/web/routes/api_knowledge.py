"""The library over the JSON API: upload a file, re-index with progress, see documents and chunks,
try a question with scores, and answer a gap (the answer reaches the asker and can become a FAQ)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from pydantic import BaseModel, Field, model_validator

from bot.access.service import AccessDeniedError
from bot.answering.factory import KnowledgeCore
from bot.errors import InvalidInputError, NotFoundError
from bot.library.contents import chunks_of, documents
from bot.library.files import FOLDERS, add_file
from bot.library.jobs import IngestJob
from bot.questions.gaps import answer_gap
from bot.questions.scope import principal_filters
from bot.web.deps import CoreDep, IngestJobsDep, SessionDep
from bot.web.job_text import job_summary
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath, LimitQuery, OffsetQuery, Page, page
from bot.web.routes.console_common import language_of
from bot.web.security import PrincipalDep

router = APIRouter(prefix="/api", tags=["knowledge"], responses=ERROR_RESPONSES)
MAX_TRY_QUESTION = 2000


def _job_out(job: IngestJob, request: Request) -> dict[str, Any]:
    return {
        "id": job.id, "state": job.state, "stage": job.stage, "done": job.done, "total": job.total,
        "percent": job.percent, "added": job.added, "changed": job.changed, "removed": job.removed,
        "failed": job.failed, "error": job.error, "ahead": job.ahead, "no_runner": job.no_runner,
        "seconds_left": job.seconds_left, "minutes_left": job.minutes_left,
        "summary": job_summary(job, language_of(request)),
    }  # fmt: skip


@router.post("/knowledge/files", status_code=status.HTTP_201_CREATED)
def upload(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    core: CoreDep,
    jobs: IngestJobsDep,
    folder: Annotated[str, Form(description=f"One of {', '.join(FOLDERS)}.")],
    file: Annotated[UploadFile, File(description="A playbook, FAQ sheet or case.")],
) -> dict[str, Any]:
    """Add (or replace) a library file; it is checked first, then indexed in the background."""
    principal.require_admin()
    limit = core.settings.max_file_bytes
    content = file.file.read(limit + 1)  # a sync route: the form is already received, on disk or in memory
    added = add_file(
        session=session, folder=folder, filename=file.filename or "", content=content, max_bytes=limit,
        by=principal.name,
    )  # fmt: skip
    job = jobs.start(
        [added.source], session=session
    )  # starts, with the file in the library, once the request commits
    return {
        "source": added.source, "replaced": added.replaced, "title": added.title, "doc_type": added.doc_type,
        "entries": added.entries, "job": _job_out(job, request),
    }  # fmt: skip


@router.post("/knowledge/reindex", status_code=status.HTTP_202_ACCEPTED)
def reindex(
    request: Request, session: SessionDep, principal: PrincipalDep, jobs: IngestJobsDep
) -> dict[str, Any]:
    """Re-read the whole library (only changed files are embedded again)."""
    principal.require_admin()
    return _job_out(jobs.start(session=session), request)


@router.get("/knowledge/jobs/{job_id}")
def job_status(
    job_id: str, request: Request, session: SessionDep, principal: PrincipalDep, jobs: IngestJobsDep
) -> dict[str, Any]:
    """How a re-index is going (queued behind how many, stage, done of total, about how long, whether
    any process is running re-index jobs) and what changed."""
    job = jobs.get(job_id[:32], session=session)
    if job is None:
        raise NotFoundError(f"no re-index job {job_id[:32]!r}")
    return _job_out(job, request)


@router.get("/knowledge/documents")
def list_documents(
    core: CoreDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[dict[str, Any]]:
    """The documents the live index holds."""
    rows = [
        {"source": d.source, "title": d.title, "doc_type": d.doc_type, "lang": d.lang, "chunks": d.chunks}
        for d in documents(core)
    ]
    return page(rows, limit=limit, offset=offset)


@router.get("/knowledge/chunks")
def list_chunks(
    source: str, core: CoreDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[dict[str, Any]]:
    """One document's chunks, in order."""
    chunks = chunks_of(core, source[:500])
    if not chunks:
        raise NotFoundError(f"no document {source[:500]!r} in the index")
    rows = [
        {"id": c.id, "section": c.section, "text": c.text, "lang": c.lang, "position": c.position}
        for c in chunks
    ]
    return page(rows, limit=limit, offset=offset)


class TryIn(BaseModel):
    """A question to try against the library."""

    question: str = Field(min_length=1, max_length=MAX_TRY_QUESTION)


@router.post("/knowledge/try")
def try_question(body: TryIn, core: CoreDep, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """What the bot would answer someone in the caller's units, with each source's score (nothing
    is recorded). A sync route: the answerer and the scope look-up run on a worker thread, in the
    request's own session (a second one would wait on its SQLite write lock)."""
    filters = principal_filters(session=session, principal=principal)
    answer = core.answerer.answer(body.question, filters=filters)
    return answer.to_json() | {"language": answer.language}


class GapAnswerIn(BaseModel):
    """A person's answer to an unanswered question: written (``answer``), or an existing FAQ
    (``faq_chunk_id``, one of the question's ``faq_candidates``), which then learns its wording."""

    answer: str = Field("", max_length=4000)
    save_as_faq: bool = False
    faq_chunk_id: str = Field("", max_length=64, pattern=r"^[0-9a-f-]*$")

    @model_validator(mode="after")
    def _one_answer(self) -> GapAnswerIn:
        if bool(self.answer.strip()) == bool(self.faq_chunk_id):
            raise ValueError("give either an answer or an faq_chunk_id")
        return self


def _answer_gap(
    session: Any, core: KnowledgeCore, principal: Any, question_id: int, body: GapAnswerIn
) -> tuple[Any, Any]:
    if principal.via == "token" and not principal.is_admin:
        raise AccessDeniedError("a unit's API token cannot answer as a person; sign in instead")
    responder = principal.person(session)
    if responder is None:
        raise InvalidInputError("answers come from a person: sign in, or use a token created by one")
    return answer_gap(
        session=session, question_id=question_id, responder=responder, reply=body.answer,
        save_as_faq=body.save_as_faq,
        answerer=core.answerer, faq_chunk_id=body.faq_chunk_id,
    )  # fmt: skip


@router.post("/gaps/{question_id}/answer")
def post_gap_answer(
    question_id: IdPath,
    body: GapAnswerIn,
    request: Request,
    session: SessionDep,
    core: CoreDep,
    principal: PrincipalDep,
    jobs: IngestJobsDep,
) -> dict[str, Any]:
    """Answer an unanswered question: the asker gets the answer; with save_as_faq it joins the library."""
    question, saved = _answer_gap(session, core, principal, question_id, body)
    result: dict[str, Any] = {"question_id": question.id, "status": question.status, "faq": question.faq_id}
    if saved is not None:
        result["job"] = _job_out(jobs.start([saved], session=session), request)
    return result
