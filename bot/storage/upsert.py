"""INSERT ... ON CONFLICT DO UPDATE, written once for the two databases the product runs on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.base import Base


def upsert(
    *,
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any],
    where: ColumnElement[bool] | None = None,
) -> postgresql.Insert | sqlite.Insert:
    """Insert ``values``, or when a row with the same ``keys`` exists, set ``update`` on it.

    One statement, so two processes writing the same row at once cannot both insert it; with
    ``where`` the existing row is only changed when it holds (and ``RETURNING`` then yields nothing).
    Column references in ``update`` and ``where`` see the row as it was.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(model).values(dict(values))
        return pg.on_conflict_do_update(index_elements=list(keys), set_=dict(update), where=where)
    if dialect == "sqlite":
        lite = sqlite.insert(model).values(dict(values))
        return lite.on_conflict_do_update(index_elements=list(keys), set_=dict(update), where=where)
    raise NotImplementedError(f"no upsert for the {dialect} database")
