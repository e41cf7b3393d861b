"""Files written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path, *, absent: bool = False) -> Iterator[Path]:
    """A temporary file beside `path` for the block to write: renamed onto `path` when the
    block succeeds, removed when it fails, so a reader never sees half a file and a failure
    leaves whatever was there before. A folder that cannot take the file raises OSError on
    entering. With `absent` the temporary path does not exist yet and ends like `path`: for
    writers that create the file themselves and choose its format by name (GDAL, SQLite)."""
    path = Path(path)
    suffix = path.suffix if absent else ".tmp"
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    staged = Path(name)
    if absent:
        staged.unlink()
    try:
        yield staged
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def write_atomically(path: str | Path, content: str | bytes) -> None:
    """Write `content` (text as UTF-8) to `path` whole or not at all (see `replacing`);
    raises OSError naming the problem."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not isinstance(data, bytes):
        raise TypeError(f"content must be text or bytes, not {type(content).__name__}")
    with replacing(path) as staged:
        staged.write_bytes(data)
