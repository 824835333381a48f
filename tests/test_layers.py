"""The import plan holds: features never import an edge, storage knows no feature, and the
lower feature packages never import the ones built on them. Checked on the source, so a drifting
import fails here rather than in a review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
EDGES = ("bot.telegram", "bot.web", "bot.cli")
FEATURES = ("access", "answering", "broadcasts", "dialogues", "evaluation", "library", "people",
            "questions", "reporting", "rollout", "scheduling", "surveys")  # fmt: skip
# What each package may not import, beyond the edges: the packages above it.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "storage": tuple(f"bot.{name}" for name in FEATURES) + ("bot.schema", "bot.runtime"),
    "scheduling": ("bot.people", "bot.broadcasts", "bot.surveys", "bot.rollout", "bot.questions"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (BOT / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", FEATURES + ("storage",))
def test_a_feature_never_imports_an_edge(package: str) -> None:
    wrong = [f"{p.relative_to(BOT)}: {name}" for p in _modules(package) for name in _imports(p)
             if name.startswith(EDGES)]  # fmt: skip
    assert wrong == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_never_imports_the_ones_built_on_it(package: str) -> None:
    wrong = [f"{p.relative_to(BOT)}: {name}" for p in _modules(package) for name in _imports(p)
             if name.startswith(FORBIDDEN[package])]  # fmt: skip
    assert wrong == []


def test_the_wording_rule_sits_below_every_package() -> None:
    """``bot/wording.py`` is imported by storage-level and scheduling code alike: it imports nothing
    from ``bot``."""
    assert [name for name in _imports(BOT / "wording.py") if name.startswith("bot")] == []
