"""`gridboard report`: the weekly or monthly KPI report as an XLSX workbook or a printable page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dashboard.cli.common import STORE, CliError, check_output, existing_store, write_file
from geodata.model import LOCAL_TZ, Level

if TYPE_CHECKING:
    from layers.report import Period, Report

# The rankings, named in the command's one-line summary.
RANKED = {
    "street": "streets",
    "community": "communities",
    "organisation": "organisations",
    "person": "people",
}


def _check_period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    from layers.report import period

    try:
        return period(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("report")
@click.option("--data", type=STORE, required=True, help="Store file (or database URL).")
@click.option(
    "--period",
    "when",
    required=True,
    callback=_check_period,
    help="An ISO week (2026-W48) or a month (2026-11).",
)
@click.option("--street", help="Only this street's cases (9-digit code).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .xlsx (one sheet per table) or .html (a printable A4 page).",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language."
)
def report(data: Path, when: Period, street: str | None, out: Path, lang: str) -> None:
    """Write the KPI report of a week or a month: the whole scope against the period before,
    and streets, communities, organisations and people ranked by on-time closure rate."""
    from dashboard.reportfile import FORMATS

    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise CliError(f"{out}: unknown file type {out.suffix!r}; use .xlsx or .html")
    check_output(out)
    built, scope = _build(data, when, street, lang)
    write_file(out, _content(built, kind, lang, scope))
    counts = ", ".join(f"{word} {len(built.rankings[by])}" for by, word in RANKED.items())
    click.echo(f"wrote the {when.text} report to {out} ({counts})")


def _build(data: Path, when: Period, street: str | None, lang: str) -> tuple[Report, str]:
    """The report read from the store at `data`, and the words for its scope."""
    from dashboard.reportfile import scope_text
    from layers.report import build

    with existing_store(data) as store:
        names = None
        if street is not None:
            streets = store.areas(Level.STREET)
            found = streets[streets["code"] == street]
            if found.empty:
                raise CliError(f"{data} has no street with code {street!r}")
            names = [str(found["name"].iloc[0])]
        cases = store.kpi_cases(when.start, when.end)
        before = store.kpi_cases(when.previous_start, when.start)
        built = build(cases, before, when, store.work_clock(), street)
    return built, scope_text(names, lang)


def _content(built: Report, kind: str, lang: str, scope: str) -> bytes | str:
    from dashboard.reportfile import html_text, xlsx_bytes

    if kind == "xlsx":
        return xlsx_bytes(built, lang, scope)
    return html_text(built, lang, scope, dt.datetime.now(LOCAL_TZ))
