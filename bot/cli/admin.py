"""The organisation: units, invite codes, and console sign-in links."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import common
from bot.cli.common import console, out, print_json
from bot.errors import InvalidInputError
from bot.people.models import Role
from bot.people.service import add_unit, create_invite, invite_link, unit_tree
from bot.storage.database import transaction

admin = typer.Typer(help="Units, invite codes and roles.", no_args_is_help=True)


@admin.command("add-unit")
def admin_add_unit(
    name: Annotated[str, typer.Argument(help="Unit name, unique (e.g. 华东区-12号店).")],
    parent: Annotated[str | None, typer.Option("--parent", help="Name of the unit above it.")] = None,
) -> None:
    """Add a unit to the organisation tree."""
    settings = common._settings()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        unit = add_unit(session=session, name=name, parent=parent)
        out.print(f"Added unit {unit.name!r}" + (f" under {parent!r}" if parent else ""))


@admin.command("list-units")
def admin_list_units() -> None:
    """Show the unit tree."""
    with common._sessions(common._settings())() as session:
        tree = unit_tree(session=session)
    if not tree:
        out.print("No units yet: add one with `changebot admin add-unit NAME`.")
    for depth, unit in tree:
        out.print("  " * depth + unit.name)


@admin.command("console-link")
def admin_console_link(
    telegram_id: Annotated[
        int | None, typer.Option("--telegram-id", help="An existing manager or admin.")
    ] = None,
    new_admin: Annotated[
        str | None, typer.Option("--new-admin", help="Create an admin with this name (no Telegram).")
    ] = None,
) -> None:
    """Print a one-time console sign-in link (15 minutes), for operators and first set-up without Telegram."""
    from bot.access.service import create_sign_in_link
    from bot.people.models import Person
    from bot.people.service import person_by_telegram_id

    if (telegram_id is None) == (new_admin is None):
        console.print("[red]give --telegram-id or --new-admin[/red]")
        raise typer.Exit(2)
    settings = common._settings()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        if new_admin is not None:
            person: Person | None = Person(name=new_admin.strip()[:200] or "admin", is_admin=True)
            session.add(person)
            session.flush()
        else:
            person = person_by_telegram_id(session=session, telegram_id=telegram_id or 0)
        if person is None:
            raise InvalidInputError(f"no person with Telegram id {telegram_id}")
        secret = create_sign_in_link(session=session, person=person)
    out.print(f"{settings.base_url}/auth/link?token={secret}")


@admin.command("create-invite")
def admin_create_invite(
    unit: Annotated[str, typer.Option("--unit", help="The unit people join.")],
    role: Annotated[Role, typer.Option("--role", help="staff or manager.")] = Role.STAFF,
    uses: Annotated[int, typer.Option("--uses", help="How many people may use it.")] = 1,
    expires_days: Annotated[float, typer.Option("--expires-days", help="Days until it expires.")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"code", "link"}.')] = False,
) -> None:
    """Create an invite code (and deep link) for a unit and role."""
    settings = common._settings()
    with common._refusing(), transaction(common._sessions(settings)) as session:
        invite = create_invite(
            session=session, unit_name=unit, role=role, uses=uses, expires_days=expires_days
        )
        code, expires = invite.code, invite.expires_at
    link = invite_link(code=code, bot_username=settings.telegram_bot_username)
    if as_json:
        print_json({"code": code, "link": link})
        return
    out.print(
        f"Invite code {code} for {unit!r} as {role.value}, {uses} use(s), expires {expires:%Y-%m-%d %H:%M} UTC"
    )
    if link:
        out.print(link)


def register(app: typer.Typer) -> None:
    """Add the admin group."""
    app.add_typer(admin, name="admin")
