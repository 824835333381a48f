"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from bot.web.deps import CoreDep, SessionDep
from bot.web.routes.api_common import ERROR_RESPONSES
from ingest.vectors import VectorStoreUnavailableError

router = APIRouter(tags=["health"], responses=ERROR_RESPONSES)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    # async: answered on the event loop, so liveness never waits behind busy worker threads.
    return {"status": "ok"}


@router.get("/readyz")
def readyz(core: CoreDep, session: SessionDep, response: Response) -> dict[str, Any]:
    """The index is loaded, the vector store and the database answer."""
    checks: dict[str, Any] = {}
    snapshot = core.retriever.index.snapshot()
    checks["index"] = {"ok": snapshot is not None, "generation": snapshot.name if snapshot else None}
    try:
        core.vectors.check()
        checks["vectors"] = {"ok": True}
    except VectorStoreUnavailableError as exc:
        checks["vectors"] = {"ok": False, "error": str(exc)[:300]}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # any driver error means "not ready"; the probe must answer, not crash
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": ready, "checks": checks}
