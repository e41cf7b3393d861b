"""The `gridboard import` command group; its commands live in cli_boundaries and cli_records."""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Bring a real city in: boundaries, then staff, cases and visits."""
