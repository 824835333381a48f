"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from bot.answering.factory import KnowledgeCore
from bot.web.deps import CoreDep, SessionsDep
from bot.web.routes.api_common import ERROR_RESPONSES
from ingest.index import IndexSnapshot
from ingest.vectors import VectorStoreDamagedError, VectorStoreUnavailableError

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


def _vectors_check(core: KnowledgeCore, snapshot: IndexSnapshot | None) -> None:
    """The live generation's collection answers a real query and holds its vectors."""
    try:
        core.vectors.verify(expected=len(snapshot.chunks) if snapshot else 0)
    except VectorStoreDamagedError:
        # An ingest may have made a smaller generation live, and removed the vectors it dropped,
        # between loading the generation above and counting: count again against the one live now.
        latest = core.retriever.index.snapshot()
        if latest is snapshot or latest is None:
            raise
        core.vectors.verify(expected=len(latest.chunks))


@router.get("/readyz")
async def readyz(core: CoreDep, sessions: SessionsDep, response: Response) -> dict[str, Any]:
    """The index is loaded, the vector store answers a query with the live generation's vectors,
    and the database answers (each within a few seconds)."""
    checks: dict[str, Any] = {}
    # The live generation is named by the database: looked up on a worker thread, in its own time.
    try:
        snapshot = await asyncio.wait_for(
            asyncio.to_thread(core.retriever.index.snapshot), timeout=CHECK_TIMEOUT_S
        )
        checks["index"] = {"ok": snapshot is not None, "generation": snapshot.name if snapshot else None}
    except TimeoutError:
        snapshot = None
        checks["index"] = {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # the database is away, or the generation is unreadable
        snapshot = None
        checks["index"] = {"ok": False, "error": type(exc).__name__}

    def database() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))

    def vectors() -> None:
        _vectors_check(core, snapshot)

    for name, check in (("vectors", vectors), ("database", database)):
        try:
            await asyncio.wait_for(asyncio.to_thread(check), timeout=CHECK_TIMEOUT_S)
            checks[name] = {"ok": True}
        except TimeoutError:
            checks[name] = {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
        except VectorStoreDamagedError as exc:
            # Waiting will not mend it: say what will.
            checks[name] = {"ok": False, "error": f"{str(exc)[:240]}; repair: changebot ingest --rebuild"}
        except VectorStoreUnavailableError as exc:
            checks[name] = {"ok": False, "error": str(exc)[:300]}
        except Exception as exc:  # any driver error means "not ready"; the probe must answer, not crash
            checks[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": ready, "checks": checks}
