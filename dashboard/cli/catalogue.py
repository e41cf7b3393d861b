"""`gridboard categories` and `gridboard worktime`: a city's category catalogue and working time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, check_output, existing_store, file_beside
from geodata.catalogue import read_catalogue, write_catalogue
from geodata.store import StoreError
from geodata.tabular import ImportProblems, TabularError
from geodata.worktime import WorkHours, WorkTimeError

_DATA = click.option("--data", type=STORE, required=True, help="Store file (or database URL).")
_FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@click.group("categories")
def categories_group() -> None:
    """The category catalogue (立案标准): names, classes, responsible unit, time limits."""


@categories_group.command("export")
@_FILE
@_DATA
def export_categories(file: Path, data: Path) -> None:
    """Write the catalogue to FILE (CSV, or XLSX by suffix) for editing."""
    check_output(file)
    with existing_store(data) as store:
        categories = store.categories()
    with file_beside(file) as staged:
        write_catalogue(staged, categories)
    click.echo(f"wrote {len(categories)} categories to {file}")


@categories_group.command("import")
@_FILE
@_DATA
@click.option("--replace", is_flag=True, help="Remove categories the file does not list.")
def import_categories(file: Path, data: Path, replace: bool) -> None:
    """Add or change categories from FILE (CSV/XLSX, as `export` writes it); all or nothing."""
    try:
        categories = read_catalogue(file)
    except ImportProblems as exc:
        for line in exc.lines():
            click.echo(f"  {line}", err=True)
        raise CliError(str(exc)) from exc
    except TabularError as exc:
        raise CliError(str(exc)) from exc
    with existing_store(data, readonly=False) as store:
        try:
            written = store.write_categories(categories, replace=replace)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    click.echo(f"wrote {written} categories from {file} to {data}")


@click.group("worktime")
def worktime_group() -> None:
    """Working time: daily working hours and the city's own days off and on."""


@worktime_group.command("show")
@_DATA
@click.option("--year", type=click.IntRange(2000, 2100), help="Count this year's working days.")
def show(data: Path, year: int | None) -> None:
    """Print the working hours and the city's own days."""
    with existing_store(data) as store:
        clock, days = store.work_clock(), store.work_days()
    click.echo(f"working hours: {clock.hours.text()}")
    for day, working, note in days:
        click.echo(f"{day.isoformat()}  {'on' if working else 'off'}  {note}".rstrip())
    if year is not None:
        first = dt.date(year, 1, 1)
        all_days = [first + dt.timedelta(n) for n in range((dt.date(year + 1, 1, 1) - first).days)]
        count = sum(clock.is_working_day(d) for d in all_days)
        click.echo(f"{year}: {count} working days")
        if clock.assumed_years([first]):
            click.echo(
                f"warning: the official calendar does not know {year} yet: Monday to Friday"
                " are assumed; enter its holidays with `gridboard worktime day`",
                err=True,
            )


@worktime_group.command("hours")
@click.argument("hours")
@_DATA
def hours(hours: str, data: Path) -> None:
    """Set the daily working hours, e.g. "08:30-12:00,13:30-17:30" (China time)."""
    try:
        parsed = WorkHours.parse(hours)
    except WorkTimeError as exc:
        raise CliError(str(exc)) from exc
    with existing_store(data, readonly=False) as store:
        store.set_work_hours(parsed)
    click.echo(f"working hours: {parsed.text()} (due times already stored keep theirs)")


@worktime_group.command("day")
@click.argument("day")
@click.argument("state", type=click.Choice(["off", "on", "official"]))
@_DATA
@click.option("--note", default="", help="Why (e.g. 区级防汛停工日).")
def day(day: str, state: str, data: Path, note: str) -> None:
    """Make DAY (YYYY-MM-DD) a day off or on for this city, or follow the official calendar."""
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        raise CliError(f"day {day!r} is not a date (YYYY-MM-DD)") from None
    if not dt.date(2000, 1, 1) <= when <= dt.date(2100, 12, 31):
        raise CliError(f"day {day} is outside 2000 – 2100")
    if len(note) > 200:
        raise CliError("--note is over 200 characters")
    working = {"off": False, "on": True, "official": None}[state]
    with existing_store(data, readonly=False) as store:
        store.set_work_days({when: working}, note)
    click.echo(f"{when.isoformat()}: {state}")
