"""`gridboard visitrules`: how many days may pass between visits of each kind of household."""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, existing_store
from geodata.households import DEFAULT_RULES, ORDINARY, TAGS
from geodata.store import StoreError

_DATA = click.option("--data", type=STORE, required=True, help="Store file (or database URL).")


@click.group("visitrules")
def visitrules_group() -> None:
    """Visit rules: days between visits per household tag (困难家庭, 空巢老人 …) and ordinary."""


@visitrules_group.command("show")
@_DATA
def show(data: Path) -> None:
    """Print the days between visits of each tag (defaults marked)."""
    with existing_store(data) as store:
        rules = store.visit_rules()
    for tag in (ORDINARY, *TAGS):
        mark = "" if rules[tag] != DEFAULT_RULES[tag] else "  (default)"
        click.echo(f"{tag:<22}{rules[tag]:>5} days{mark}")


@visitrules_group.command("set")
@click.argument("tag")
@click.argument("days")
@_DATA
def set_rule(tag: str, days: str, data: Path) -> None:
    """Set the days between visits of TAG (ordinary or a household tag) to DAYS (1–3,650)."""
    text = days.strip()
    given: int | str = int(text) if text.isascii() and text.isdigit() else text
    with existing_store(data, readonly=False) as store:
        try:
            rules = store.set_visit_rules({tag: given})  # type: ignore[dict-item]
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    click.echo(f"{tag}: {rules[tag]} days between visits")
