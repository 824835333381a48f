"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from bot.web.deps import CoreDep, SessionsDep
from bot.web.routes.api_common import ERROR_RESPONSES
from ingest.vectors import VectorStoreUnavailableError

router = APIRouter(tags=["health"], responses=ERROR_RESPONSES)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    # async: answered on the event loop, so liveness never waits behind busy worker threads.
    return {"status": "ok"}


# Each check gets this long: a database that accepts connections but never answers (a hung
# server, a half-open firewall) must give "not ready" at once, not hold the probe for the driver's
# own timeouts. A check that is still stuck keeps its worker thread until the driver gives up.
CHECK_TIMEOUT_S = 3.0


@router.get("/readyz")
async def readyz(core: CoreDep, sessions: SessionsDep, response: Response) -> dict[str, Any]:
    """The index is loaded, the vector store and the database answer (each within a few seconds)."""
    checks: dict[str, Any] = {}
    snapshot = core.retriever.index.snapshot()
    checks["index"] = {"ok": snapshot is not None, "generation": snapshot.name if snapshot else None}

    def database() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))

    for name, check in (("vectors", core.vectors.check), ("database", database)):
        try:
            await asyncio.wait_for(asyncio.to_thread(check), timeout=CHECK_TIMEOUT_S)
            checks[name] = {"ok": True}
        except TimeoutError:
            checks[name] = {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
        except VectorStoreUnavailableError as exc:
            checks[name] = {"ok": False, "error": str(exc)[:300]}
        except Exception as exc:  # any driver error means "not ready"; the probe must answer, not crash
            checks[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": ready, "checks": checks}
