"""Routes get what the lifespan built as typed dependencies (bot/web/deps.py), never from ``app.state``,
and a dependency never leaks into the API as a request parameter."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

import bot.web.routes
from bot.config import Settings
from bot.web.app import create_app

ROUTES = Path(bot.web.routes.__file__).resolve().parent
# What routes call the objects they declare from bot/web/deps.py.
DEPENDENCY_NAMES = {
    "settings", "core", "jobs", "ingest_jobs", "sessions", "session", "flood", "telegram", "application",
}  # fmt: skip


def test_no_route_module_reads_app_state() -> None:
    found = [
        f"{path.relative_to(ROUTES.parent)}:{number}: {line.strip()}"
        for path in sorted(ROUTES.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bapp\s*\.\s*state\b|getattr\(\s*\w+(\.app)?\s*,\s*[\"']state[\"']", line)
    ]
    assert not found, "declare a dependency from bot/web/deps.py instead:\n" + "\n".join(found)


def test_the_openapi_document_has_no_parameter_named_like_a_dependency(settings: Settings) -> None:
    document = create_app(settings, run_scheduler=False).openapi()
    components = document.get("components", {}).get("schemas", {})
    leaked = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            for content in operation.get("requestBody", {}).get("content", {}).values():
                names |= set(_resolved(content.get("schema", {}), components).get("properties", {}))
            leaked += [f"{method.upper()} {path}: {name}" for name in sorted(names & DEPENDENCY_NAMES)]
    assert not leaked, leaked
    assert not {"Settings", "KnowledgeCore", "IngestJobs"} & set(components)


def test_no_route_takes_a_dependency_as_a_request_parameter() -> None:
    """The pages left out of the schema too."""
    leaked = []
    for route in _routes():
        dependant = route.dependant
        for field in (
            *dependant.path_params, *dependant.query_params, *dependant.header_params,
            *dependant.cookie_params, *dependant.body_params,
        ):  # fmt: skip
            if field.name in DEPENDENCY_NAMES:
                leaked.append(f"{sorted(route.methods)} {route.path}: {field.name}")
    assert not leaked, leaked


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return dict(components[ref.rsplit("/", 1)[-1]]) if ref else schema


def _routes() -> Iterator[APIRoute]:
    found = 0
    for module in pkgutil.iter_modules([str(ROUTES)]):
        router = getattr(importlib.import_module(f"bot.web.routes.{module.name}"), "router", None)
        if isinstance(router, APIRouter):
            for route in router.routes:
                if isinstance(route, APIRoute):
                    found += 1
                    yield route
    assert found > 50  # every route module was read
