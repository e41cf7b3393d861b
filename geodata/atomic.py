"""Files written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, content: str | bytes) -> None:
    """Write `content` (text as UTF-8) to `path` so that a reader never sees half a file and
    a failure leaves whatever was there before; raises OSError naming the problem."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
