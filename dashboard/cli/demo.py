"""`gridboard demo` and `gridboard info`: build a demo city into a store, say what a store holds."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import click

from dashboard.cli.common import (
    CliError,
    check_output,
    existing_store,
    file_beside,
    parse_date,
    why_not_written,
)
from geodata.backends import open_store
from geodata.model import Level
from geodata.store import StoreError

LEVEL_TABLES = {
    Level.STREET: "streets",
    Level.COMMUNITY: "communities",
    Level.COMPOUND: "compounds",
    Level.GRID: "grid_cells",
}


@click.command()
@click.option(
    "--scale",
    type=click.Choice(["street", "city"]),
    default="street",
    show_default=True,
    help="street: 梁山县水泊街道, seconds to build; city: 济宁, 1,000,000 cases, minutes.",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True, help="Random seed."
)
@click.option(
    "--as-of",
    callback=parse_date,
    help="Last day of the generated history (YYYY-MM-DD); default today.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def demo(scale: str, seed: int, as_of: dt.date, out: Path) -> None:
    """Build a deterministic demo city into the store file OUT (replacing its content)."""
    from geodata.demo import build_demo

    check_output(out)
    if out.exists():
        existing_store(out).close()  # only ever replace a gridboard store
    existed = out.exists()
    try:
        with file_beside(out) as tmp:
            started = time.perf_counter()
            city = build_demo(scale, seed=seed, as_of=as_of, progress=sys.stderr.isatty())
            elapsed = time.perf_counter() - started
            click.echo(f"generated {scale} demo in {elapsed:.1f} s", err=True)
            with open_store(tmp, create=True) as store:
                store.write_city(city)
                counts = store.counts()
    except (StoreError, OSError) as exc:
        kept = f"{out} is untouched" if existed else "nothing was written"
        raise CliError(f"{out}: {why_not_written(exc)}; {kept}") from exc
    click.echo(
        f"wrote {out}: {counts['streets']} streets, {counts['communities']} communities,"
        f" {counts['compounds']} compounds, {counts['grid_cells']} grid cells,"
        f" {counts['cases']:,} cases, {counts['visits']:,} visits"
        f" in {time.perf_counter() - started:.1f} s"
    )


@click.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Store file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(data: Path, as_json: bool) -> None:
    """Print what a store holds: counts per level and per table."""
    with existing_store(data) as store:
        counts = store.counts()
        meta = store.meta()
    report = {
        "path": str(data),
        "meta": meta,
        "levels": {level.value: counts[table] for level, table in LEVEL_TABLES.items()},
        "tables": counts,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data}: {meta.get('name', '(unnamed)')}, as of {meta.get('as_of', '?')}")
    for table, count in counts.items():
        click.echo(f"  {table:<14} {count:>12,}")
