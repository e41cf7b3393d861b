"""What the gridboard commands share: the error type, a date option, stores, output files."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from geodata.atomic import replacing, write_atomically
from geodata.backends import location, open_store
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store, StoreError

LEVEL_NAMES = [level.value for level in Level]
FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}  # no space, file too big, over quota
FIRST_AS_OF, LAST_AS_OF = dt.date(2002, 1, 1), dt.date(2100, 12, 31)  # two years of history fit


class CliError(click.ClickException):
    """A problem the user can fix; printed as one line."""


def today() -> dt.date:
    """Today in China time."""
    return dt.datetime.now(LOCAL_TZ).date()


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    """Click callback: a YYYY-MM-DD option within FIRST_AS_OF..LAST_AS_OF; today when absent."""
    if value is None:
        return today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise click.BadParameter(f"{value} is outside {FIRST_AS_OF}..{LAST_AS_OF}")
    return day


class StoreLocation(click.ParamType):
    """--data: a GeoPackage file or a postgresql:// URL (geodata.backends.location)."""

    name = "PATH|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, Path):
            return value
        if not str(value):
            self.fail("is empty: give a store file or a postgresql:// URL", param, ctx)
        return location(str(value))


STORE = StoreLocation()


def existing_store(path: Path, *, readonly: bool = True) -> Store:
    """Open the gridboard store at `path`, which must exist; a failure is a CliError."""
    try:
        return open_store(path, readonly=readonly)
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def check_output(path: Path | None) -> None:
    """Refuse, before any work is done, an output file that could not be written."""
    if path is None:
        return
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise CliError(f"{path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise CliError(f"{path}: folder {path.parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise CliError(f"{path} is not writable")


@contextmanager
def file_beside(out: Path) -> Iterator[Path]:
    """geodata.atomic.replacing for a writer that creates the file itself, with the CLI's
    message when the folder cannot take it."""
    with ExitStack() as stack:
        try:
            tmp = stack.enter_context(replacing(out, absent=True))
        except OSError as exc:
            raise CliError(f"{out}: cannot write in {out.parent} ({exc.strerror})") from exc
        yield tmp


def replace_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """Write `out` through `write(tmp)` at a path beside it, then rename: a failed or
    interrupted write leaves the previous file and no temporary one."""
    try:
        with file_beside(out) as tmp:
            write(tmp)
    except CliError:
        raise
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise CliError(f"{out}: cannot write ({exc})") from exc


def write_file(path: Path, content: str | bytes) -> None:
    """Write `content` (text as UTF-8) to `path` atomically; a failure is a CliError."""
    try:
        write_atomically(path, content)
    except OSError as exc:
        raise CliError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def why_not_written(exc: BaseException) -> str:
    """What stopped a write, in words that name no temporary file: "the disk is full (…)"
    when SQLite or the system says so, what SQLite can tell of a failed write, else the
    first cause's own text."""
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, sqlite3.Error) and cause.sqlite_errorcode == sqlite3.SQLITE_FULL:
        return f"the disk is full ({cause})"
    if isinstance(cause, OSError) and cause.errno in FULL_ERRNOS:
        return f"the disk is full ({cause.strerror})"
    if isinstance(cause, sqlite3.Error) and cause.sqlite_errorcode & 0xFF == sqlite3.SQLITE_IOERR:
        # SQLite keeps the system's reason (no space, a size limit, a failing disk) to itself
        return f"the disk refused the write ({cause}: full, over a size limit, or failing)"
    return str(cause)
