"""The `gridboard` command group and its entry point; each command lives in its own module."""

from __future__ import annotations

import sys

import click

from dashboard.cli.apikey import apikey_group
from dashboard.cli.catalogue import categories_group, worktime_group
from dashboard.cli.demo import demo, info
from dashboard.cli.export import export
from dashboard.cli.imports import import_group
from dashboard.cli.migrate import migrate
from dashboard.cli.report import report
from dashboard.cli.route import route
from dashboard.cli.serve import serve
from dashboard.cli.users import audit_group, display_group, user_group
from dashboard.cli.validate import validate_command
from dashboard.cli.visitrules import visitrules_group
from geodata.store import StoreError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridboard")
def cli() -> None:
    """网格治理一张图 — gridboard: a map dashboard for community grid governance."""


for command in (
    demo,
    info,
    export,
    serve,
    route,
    import_group,
    migrate,
    validate_command,
    user_group,
    display_group,
    audit_group,
    categories_group,
    worktime_group,
    visitrules_group,
    apikey_group,
    report,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every expected failure ends in one line on stderr and a non-zero exit."""
    try:
        cli.main(args=argv, prog_name="gridboard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("gridboard: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"gridboard: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"gridboard: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (StoreError, OSError) as exc:
        click.echo(f"gridboard: error: {exc}", err=True)
        sys.exit(1)
