"""Where the browser code that `make node_modules` installs from npm (and builds) lives."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = PROJECT_ROOT / "node_modules"
INSTALL_COMMAND = "make node_modules"
