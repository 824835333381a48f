"""docker-compose.yml and .env.example checked against the product (no Docker engine runs here): every
service's command is a real `changebot` command with real options, every variable a real setting,
the web port the one the command binds, and every setting documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml

from bot import cli
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SETTINGS = {f"CHANGEBOT_{name.upper()}" for name in Settings.model_fields}


def _command(args: list[str]) -> tuple[Any, list[str]]:
    group: Any = typer.main.get_command(cli.app)
    assert args[0] == "changebot", args
    command = group.get_command(group.context_class(group), args[1])
    assert command is not None, f"no command `changebot {args[1]}`"
    return command, args[2:]


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = COMPOSE["services"]
    return services


def test_every_changebot_command_and_option_exists() -> None:
    checked = 0
    for name, service in _services().items():
        args = service.get("command")
        if not args or args[0] != "changebot":
            continue
        command, rest = _command(args)
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for arg in rest:
            if arg.startswith("--"):
                assert arg in known, f"{name}: `changebot {args[1]}` has no option {arg}"
        checked += 1
    assert checked >= 4  # web, worker, scheduler, ingest


def test_the_chroma_server_is_the_one_the_package_ships() -> None:
    chroma = _services()["chroma"]["command"]
    assert chroma[:2] == ["chroma", "run"] and "--port" in chroma
    port = chroma[chroma.index("--port") + 1]
    url = COMPOSE["x-changebot"]["environment"]["CHANGEBOT_CHROMA_URL"]
    assert url.endswith(f":{port}")


def test_every_variable_is_a_setting_and_the_web_port_matches() -> None:
    shared = COMPOSE["x-changebot"]["environment"]
    for variable in shared:
        assert variable in SETTINGS, f"{variable} is not a setting"
    assert shared["CHANGEBOT_DATABASE_URL"].startswith("postgresql+psycopg://")
    web = _services()["web"]
    bound = web["command"][web["command"].index("--port") + 1]
    assert any(mapping.endswith(f":{bound}") for mapping in web["ports"])
    assert "--no-scheduler" in web["command"] and _services()["scheduler"]["command"] == [
        "changebot",
        "scheduler",
    ]
    assert _services()["worker"]["deploy"]["replicas"] >= 2
    # Re-index jobs run in the workers, never on the web processes' threads.
    assert "--no-jobs" in web["command"] and "--no-jobs" not in _services()["worker"]["command"]
    for name in ("web", "postgres", "chroma"):
        assert "healthcheck" in _services()[name], f"{name} has no health check"
    assert set(COMPOSE["volumes"]) == {"database", "index", "knowledge"}


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?(CHANGEBOT_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert documented == SETTINGS, {"missing": SETTINGS - documented, "unknown": documented - SETTINGS}
    assert re.search(r"^# CHANGEBOT_TELEGRAM_TOKEN=$", text, flags=re.MULTILINE)  # secrets have no value
