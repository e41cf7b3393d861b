"""The `gridboard` command line: `main` is the console script's entry point."""

from dashboard.cli.group import cli, main

__all__ = ["cli", "main"]
