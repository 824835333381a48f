"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from bot.web.deps import CoreDep, SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(core: CoreDep, session: SessionDep, response: Response) -> dict[str, Any]:
    """The index is loaded and the database answers."""
    checks: dict[str, Any] = {}
    snapshot = core.retriever.index.snapshot()
    checks["index"] = {"ok": snapshot is not None, "generation": snapshot.name if snapshot else None}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # any driver error means "not ready"; the probe must answer, not crash
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": ready, "checks": checks}
