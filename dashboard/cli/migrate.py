"""`gridboard migrate`: a whole store copied to another place, GeoPackage ↔ PostGIS, checked."""

from __future__ import annotations

import time
from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, existing_store, file_beside, why_not_written
from geodata import transfer
from geodata.backends import open_store, shown
from geodata.store import StoreError


@click.command("migrate")
@click.option("--from", "source", type=STORE, required=True, help="The store to copy.")
@click.option(
    "--to",
    "target",
    type=STORE,
    required=True,
    help="Where to: a postgresql:// URL (an empty database or one holding a store) or a"
    " GeoPackage file (an offline copy, a backup).",
)
@click.option("--replace", is_flag=True, help="Overwrite a target that holds anything.")
def migrate(source: Path | str, target: Path | str, replace: bool) -> None:
    """Copy everything a store holds (areas, staff, cases, visits, accounts, the audit
    trail) to another store; the copy is committed only when its counts and logical digest
    equal the source's."""
    if shown(source) == shown(target):
        raise CliError(f"--from and --to are the same store ({shown(source)})")
    started = time.perf_counter()
    with existing_store(source) as src:
        counts = _copy(src, target, replace)
        expected = src.counts()
    if {t: counts.get(t, 0) for t in expected} != expected:
        raise CliError(f"{shown(target)}: counts differ from the source's")
    rows = sum(counts.values())
    click.echo(
        f"copied {shown(source)} to {shown(target)}: {rows:,} rows in {len(counts)} tables,"
        f" digest checked, in {time.perf_counter() - started:.1f} s"
    )


def _copy(src, target: Path | str, replace: bool) -> dict[str, int]:
    if isinstance(target, str):  # a database: written in one transaction
        try:
            with open_store(target, create=True) as dst:
                return transfer.copy_store(src, dst, replace=replace)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    if target.exists():
        with existing_store(target) as dst:  # only ever replace a store, an empty one unasked
            if not replace and not transfer.is_empty(dst.sql_connection()):
                raise CliError(f"{target} is not empty: give --replace to overwrite it")
    kept = f"{target} is untouched" if target.exists() else "nothing was written"
    try:
        with file_beside(target) as tmp, open_store(tmp, create=True) as dst:
            return transfer.copy_store(src, dst)
    except (StoreError, OSError) as exc:
        raise CliError(f"{target}: {why_not_written(exc)}; {kept}") from exc
