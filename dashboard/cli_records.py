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


def _record_command(kind: str, doc: str, *extra: Callable) -> None:
    """Register `gridboard import KIND`: the common arguments, `extra` options (passed on to
    importer.import_KIND by name), one report line."""

    def command(
        file: Path, data: Path, mapping: Path | None, skip_bad: bool, rejects: Path | None, **more
    ) -> None:
        run = getattr(importer, f"import_{kind}")
        if kind != "open311":  # Open311 JSON is read whole: no progress bar
            more["progress"] = _progress(file)
        options = dict(more, skip_bad=skip_bad, rejects=rejects, log=_log)
        _done(_run(data, mapping, lambda store, m: run(store, file, m, **options)), data)

    command.__name__ = f"import_{kind}"
    command.__doc__ = doc
    for option in reversed(extra):
        command = option(command)
    import_group.command(kind)(_common(command))


_record_command(
    "cases",
    "Cases (诉求/事件) from a CSV or XLSX file; each is placed in its grid cell and compound.",
)
_record_command("visits", "Door-to-door visits (走访) from a CSV or XLSX file.")
_record_command(
    "staff",
    "A staff roster (one row per person and role) from a CSV or XLSX file.",
    click.option("--replace", is_flag=True, help="Replace the stored roster instead of adding."),
)
_record_command("open311", "GeoReport v2 (Open311) service requests from a JSON file, as cases.")
