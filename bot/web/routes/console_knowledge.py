"""The console's knowledge page and the gaps queue: upload, re-index jobs, documents, try a question,
answer open questions, the learned phrasings and the team FAQ review."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, Principal
from bot.answering.retrieval import NO_FILTERS, SearchFilters
from bot.errors import ChangebotError
from bot.library.contents import chunks_of, documents
from bot.library.faq_review import TeamFaq, review_faq, team_faqs
from bot.library.files import FOLDERS, add_file
from bot.library.jobs import IngestJob
from bot.questions.gaps import answer_gap, faq_candidates, open_gaps_for
from bot.questions.phrasings import PhrasingView, phrasings_for_review, set_phrasing_active
from bot.questions.scope import principal_filters
from bot.questions.wording import GAP_REASON
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.web.deps import CoreDep, IngestJobsDep, SessionsDep, SettingsDep
from bot.web.job_text import job_summary
from bot.web.routes.api_common import IdPath
from bot.web.routes.console_common import (
    back,
    checked,
    language_of,
    page,
    principal_of,
    reader_zone,
    sign_in_page,
)
from bot.wording import pick

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


def _gaps_for(session: Session, principal: Principal) -> list[Any]:
    return open_gaps_for(session=session, principal=principal)


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    core: CoreDep,
    q: str | None = None,
    job: str | None = None,
    source: str | None = None,
) -> Response:
    """Upload, re-index with progress (and how long, or that no worker runs it), documents, try a
    question, and the gaps queue."""

    def load() -> tuple[
        Principal | None, list[Any], SearchFilters, list[PhrasingView], IngestJob | None, list[TeamFaq]
    ]:
        with transaction(sessions) as session:
            principal = principal_of(request, session)
            if principal is None:
                return None, [], NO_FILTERS, [], None, []
            return (
                principal,
                _gaps_for(session, principal),
                principal_filters(session=session, principal=principal),
                phrasings_for_review(session=session) if principal.is_admin else [],
                jobs.get(job[:32], session=session) if job else None,
                # The review queue is the change team's: admins only.
                team_faqs(session=session) if principal.is_admin else [],
            )

    principal, gaps, filters, phrasings, job_now, reviews = await run_in_threadpool(load)
    if principal is None:
        return sign_in_page(request)

    def read_library() -> dict[str, Any]:
        # The live index is named by the database and searched with the embedding model: on a
        # worker thread, never on the event loop that serves every other request.
        return {
            "documents": documents(core),
            "chunks": chunks_of(core, source[:500]) if source else [],
            # "Try a question" answers as someone in the manager's units would be answered.
            "tried": core.answerer.answer(q[:2000], filters=filters) if q and q.strip() else None,
            "reviews": reviews,
            "faq_choices": {
                g.questions[0].id: faq_candidates(answerer=core.answerer, question=g.questions[0])
                for g in gaps[:30]
            },
        }

    library = await run_in_threadpool(read_library)
    return page(
        request, "knowledge", principal,
        {"folders": FOLDERS, "q": q or "", "job": (job or "")[:32], "gaps": gaps,
         "job_now": job_now, "job_summary": job_summary(job_now, language_of(request)) if job_now else "",
         "source": source or "", "today": utc_now().astimezone(reader_zone(request, principal)).date(),
         "phrasings": phrasings, "gap_reasons": pick(GAP_REASON, language_of(request)), **library},
    )  # fmt: skip


@router.post("/knowledge/team-faqs/{entry_id}")
def team_faq_review(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    entry_id: Annotated[str, PathParam(max_length=80)],
    csrf_token: Annotated[str, Form()],
    action: Annotated[Literal["promote", "edit", "retire"], Form()],
    question: Annotated[str, Form(max_length=2000)] = "",
    answer: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Promote a team FAQ to everyone, edit it, or retire it (admins); it is re-indexed in the background."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            changed = review_faq(
                session=session, principal=principal, entry_id=entry_id, action=action,
                question=question, answer=answer,
            )  # fmt: skip
            job = jobs.start([changed], session=session)  # with the change, or not at all
    except ChangebotError as exc:
        return back("/console/knowledge", str(exc))
    return RedirectResponse(f"/console/knowledge?job={job.id}#reviews", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/knowledge/phrasings/{phrasing_id}")
def phrasing_review(
    request: Request,
    sessions: SessionsDep,
    phrasing_id: IdPath,
    csrf_token: Annotated[str, Form()],
    action: Annotated[Literal["retire", "restore"], Form()],
) -> Response:
    """Retire a wording the bot learned (it stops matching at once) or restore it (admins)."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            set_phrasing_active(
                session=session, principal=principal, phrasing_id=phrasing_id, active=action == "restore"
            )
    except ChangebotError as exc:
        return back("/console/knowledge", str(exc))
    return RedirectResponse("/console/knowledge#phrasings", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/knowledge/upload")
def upload(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    csrf_token: Annotated[str, Form()],
    folder: Annotated[str, Form()],
    file: UploadFile,
) -> Response:
    """Add a file to the library (admins), then index it in the background."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            principal.require_admin()
            added = add_file(
                session=session, folder=folder, filename=file.filename or "",
                content=file.file.read(settings.max_file_bytes + 1), max_bytes=settings.max_file_bytes,
                by=principal.name,
            )  # fmt: skip
            job = jobs.start([added.source], session=session)
    except ChangebotError as exc:
        return back("/console/knowledge", str(exc))
    return RedirectResponse(
        f"/console/knowledge?job={job.id}&msg={quote(added.source)}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/knowledge/reindex")
def reindex(
    request: Request, sessions: SessionsDep, jobs: IngestJobsDep, csrf_token: Annotated[str, Form()]
) -> Response:
    """Re-read the whole library (admins)."""
    try:
        with transaction(sessions) as session:
            checked(request, session, csrf_token).require_admin()
    except ChangebotError as exc:
        return back("/console/knowledge", str(exc))
    return RedirectResponse(
        f"/console/knowledge?job={jobs.start().id}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/gaps/{question_id}")
def gap_answer_form(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    core: CoreDep,
    question_id: IdPath,
    csrf_token: Annotated[str, Form()],
    reply: Annotated[str, Form(max_length=8000)] = "",
    save_faq: Annotated[bool, Form()] = False,
    faq_chunk_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Answer an open question, written or with an existing FAQ: it reaches the asker; a written
    answer can become an FAQ at once, an FAQ used learns the asker's wording."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            responder = principal.person(session)
            if responder is None:
                raise AccessDeniedError("please sign in again")
            _, saved = answer_gap(
                session=session, question_id=question_id, responder=responder, reply=reply,
                save_as_faq=save_faq, answerer=core.answerer, faq_chunk_id=faq_chunk_id,
            )  # fmt: skip
            job = jobs.start([saved], session=session) if saved is not None else None
    except ChangebotError as exc:
        return back("/console/knowledge", str(exc))
    if job is not None:
        return RedirectResponse(
            f"/console/knowledge?job={job.id}&msg=FAQ", status_code=status.HTTP_303_SEE_OTHER
        )
    return back("/console/knowledge", "✓")
