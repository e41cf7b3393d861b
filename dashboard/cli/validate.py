"""`gridboard validate`: check a store's areas and report every problem found."""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, check_output, existing_store
from geodata import validate as vd

REPORT_LIMIT = 200  # problems printed; the GeoJSON (--out) holds them all


def echo_problems(problems: vd.Problems) -> None:
    """Print the validation report (at most REPORT_LIMIT problems)."""
    for line in vd.report_lines(problems, REPORT_LIMIT):
        click.echo(line)


@click.command("validate")
@click.option("--data", required=True, type=STORE)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the problem spots as GeoJSON (.geojson or .json).",
)
def validate_command(data: Path, out: Path | None) -> None:
    """Check the store's areas: geometry, grid overlaps and gaps, parents, codes, names.

    Exits non-zero when any problem is found."""
    if out is not None and out.suffix.lower() not in (".geojson", ".json"):
        raise CliError(f"{out}: unknown file type {out.suffix!r}; use .geojson or .json")
    check_output(out)
    with existing_store(data) as store:
        problems = vd.validate_store(store)
    echo_problems(problems)
    if out is not None:
        vd.write_geojson(problems, out)
        click.echo(f"wrote {len(problems)} problem spots to {out}")
    if len(problems):
        raise CliError(f"{data}: {len(problems)} problems found")
