"""`gridboard apikey`: keys of the Open311 door for a 12345 hotline or a residents' app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from dashboard.cli.common import STORE, CliError, existing_store
from dashboard.passwords import new_token, token_digest
from geodata.accounts import AccountError
from geodata.store import StoreError

_DATA = click.option("--data", type=STORE, required=True, help="Store file (or database URL).")


@click.group("apikey")
def apikey_group() -> None:
    """API keys of the Open311 door (POST /open311/v2/requests.json)."""


@apikey_group.command("add")
@click.argument("name")
@_DATA
def add(name: str, data: Path) -> None:
    """Make a key called NAME; it is printed once (only its hash is kept)."""
    key = new_token()
    with existing_store(data, readonly=False) as store:
        try:
            store.add_api_key(name, token_digest(key), dt.datetime.now(dt.UTC))
        except (AccountError, StoreError) as exc:
            raise CliError(str(exc)) from exc
    click.echo(f"API key {name}: {key}")
    click.echo("keep it secret: it is shown this once", err=True)


@apikey_group.command("revoke")
@click.argument("name")
@_DATA
def revoke(name: str, data: Path) -> None:
    """Revoke the key called NAME: its requests are refused from now on."""
    with existing_store(data, readonly=False) as store:
        try:
            store.revoke_api_key(name)
        except (AccountError, StoreError) as exc:
            raise CliError(str(exc)) from exc
    click.echo(f"API key {name} revoked")


@apikey_group.command("list")
@_DATA
def listed(data: Path) -> None:
    """Every key: name, made at, revoked or not."""
    with existing_store(data) as store:
        for name, created, revoked in store.api_keys():
            click.echo(f"{name}  {created}  {'revoked' if revoked else 'active'}")
