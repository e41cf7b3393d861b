"""`gridboard import cases|staff|visits|open311`: records from CSV, XLSX or GeoReport JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from dashboard.cli import CliError, _existing_store
from dashboard.cli_import import import_group
from geodata import importer
from geodata.store import StoreError
from geodata.tabular import TabularError, load_mapping

PROGRESS_BYTES = 20 << 20  # files above this show progress even when stderr is not a terminal


def _common(fn: Callable) -> Callable:
    """The arguments every record import takes."""
    options = [
        click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
        click.option(
            "--data", type=click.Path(dir_okay=False, path_type=Path), required=True,
            help="Store file.",
        ),
        click.option(
            "--mapping", type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file naming columns and translating values (see geodata/tabular.py).",
        ),
        click.option(
            "--skip-bad", is_flag=True,
            help="Write the good rows; put the bad ones in a reject file.",
        ),
        click.option(
            "--rejects", type=click.Path(dir_okay=False, path_type=Path),
            help="Reject file (default: FILE's name + .rejects.csv/.json, beside it).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _progress(path: Path) -> bool:
    try:
        big = path.stat().st_size > PROGRESS_BYTES
    except OSError:
        big = False
    return sys.stderr.isatty() or big


def _log(text: str) -> None:
    click.echo(text, err=True)


def _run(data: Path, mapping: Path | None, task: Callable) -> importer.Report:
    """Open the store, run `task(store, mapping)`, and turn every failure into one CliError
    (after printing each bad row)."""
    try:
        loaded = load_mapping(mapping)
    except TabularError as exc:
        raise CliError(str(exc)) from exc
    with _existing_store(data, readonly=False) as store:
        try:
            return task(store, loaded)
        except importer.ImportProblems as exc:
            for line in exc.lines():
                click.echo(f"  {line}", err=True)
            raise CliError(str(exc)) from exc
        except (TabularError, StoreError) as exc:
            raise CliError(str(exc)) from exc


def _done(report: importer.Report, data: Path) -> None:
    text = f"wrote {report.written:,} {report.kind} from {report.path} to {data}"
    if report.rejects is not None:
        text += f"; {report.rejected:,} bad {report.unit}s written to {report.rejects}"
    click.echo(text)


@import_group.command("cases")
@_common
def import_cases(
    file: Path, data: Path, mapping: Path | None, skip_bad: bool, rejects: Path | None
) -> None:
    """Cases (诉求/事件) from a CSV or XLSX file; each is placed in its grid cell and compound."""
    report = _run(
        data,
        mapping,
        lambda store, m: importer.import_cases(
            store, file, m, skip_bad=skip_bad, rejects=rejects, progress=_progress(file), log=_log
        ),
    )
    _done(report, data)


@import_group.command("visits")
@_common
def import_visits(
    file: Path, data: Path, mapping: Path | None, skip_bad: bool, rejects: Path | None
) -> None:
    """Door-to-door visits (走访) from a CSV or XLSX file."""
    report = _run(
        data,
        mapping,
        lambda store, m: importer.import_visits(
            store, file, m, skip_bad=skip_bad, rejects=rejects, progress=_progress(file), log=_log
        ),
    )
    _done(report, data)


@import_group.command("staff")
@_common
@click.option("--replace", is_flag=True, help="Replace the stored roster instead of adding.")
def import_staff(
    file: Path,
    data: Path,
    mapping: Path | None,
    skip_bad: bool,
    rejects: Path | None,
    replace: bool,
) -> None:
    """A staff roster (one row per person and role) from a CSV or XLSX file."""
    report = _run(
        data,
        mapping,
        lambda store, m: importer.import_staff(
            store,
            file,
            m,
            replace=replace,
            skip_bad=skip_bad,
            rejects=rejects,
            progress=_progress(file),
            log=_log,
        ),
    )
    _done(report, data)


@import_group.command("open311")
@_common
def import_open311(
    file: Path, data: Path, mapping: Path | None, skip_bad: bool, rejects: Path | None
) -> None:
    """GeoReport v2 (Open311) service requests from a JSON file, as cases."""
    report = _run(
        data,
        mapping,
        lambda store, m: importer.import_open311(
            store, file, m, skip_bad=skip_bad, rejects=rejects, log=_log
        ),
    )
    _done(report, data)
