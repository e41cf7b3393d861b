"""Dashboard settings: declared once (variable, default, help), read from the environment here."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from geodata.backends import is_database_url, location, shown

from .i18n import LANGUAGES

if TYPE_CHECKING:
    from layers.mapfig import ProblemSpots

CACHE_TYPES = ("SimpleCache", "FileSystemCache", "NullCache")  # without Redis
TILE_PROVIDERS = ("none", "osm", "tianditu", "amap")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting with a bad value; the message names the variable and the value."""


# --- parsers: raw environment string → value, or ValueError with the reason ----------------
def _text(raw: str) -> str:
    return raw


def _path(raw: str) -> Path:
    return Path(raw)


def _port(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a port number (1-65535)") from None


def _seconds(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a whole number of seconds (0 or more)") from None


def _count(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a whole number (1 or more)") from None


def _whole(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a whole number (0 or more)") from None


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not a yes/no value (1, true, yes, on / 0, false, no, off)")


# --- checks: value → the reason it is bad, or None ------------------------------------------
def _check_port(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535
    return None if ok else "is not a port number (1-65535)"


def _check_seconds(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else "is not a whole number of seconds (0 or more)"


def _check_count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return None if ok else "is not a whole number (1 or more)"


def _check_whole(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else "is not a whole number (0 or more)"


def _check_public_url(value: Any) -> str | None:
    """Empty, or an absolute http(s) URL (it is written into the pages' link-preview tags)."""
    if value == "":
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not an http(s) URL such as https://grid.example.cn"
    if any(c in value for c in "\"<>' \t\r\n"):
        return "has characters a URL cannot hold"
    return None


def _check_redis_url(value: Any) -> str | None:
    """Empty, or a redis:// (rediss:// for TLS, unix:// for a socket) URL."""
    if value == "":
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("redis", "rediss", "unix"):
        return "is not a Redis URL such as redis://127.0.0.1:6379/0"
    return None


def _check_cache_type(value: Any) -> str | None:
    if value == "RedisCache":  # how Redis was chosen before GRIDBOARD_REDIS_URL
        return "is chosen by setting GRIDBOARD_REDIS_URL=redis://host:6379/0 instead"
    return _one_of(CACHE_TYPES)(value)


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"is not one of {', '.join(choices)}"

    return check


def _check_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "is not text"


def _check_path(value: Any) -> str | None:
    return None if isinstance(value, Path) and str(value) else "is not a file path"


def _check_location(value: Any) -> str | None:
    if isinstance(value, str) and is_database_url(value):
        return None
    return _check_path(value)


def _check_flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "is not a yes/no value"


def _check_problems(value: Any) -> str | None:
    """None (unset), or a problems file that is readable and valid, or not there yet."""
    if value is None:
        return None
    if not isinstance(value, Path) or not str(value):
        return "is not a file path"
    if value.is_dir():
        return "is a folder, not a problems GeoJSON file"
    if not value.parent.is_dir():
        return f"is in a folder that does not exist ({value.parent})"
    if not value.exists():
        return None  # `gridboard validate --out` has not run yet: the layer is not offered
    try:
        load_problems(value)
    except ValueError as exc:
        return str(exc)
    return None


def load_problems(path: Path, shift: Callable[[Any], Any] | None = None) -> ProblemSpots:
    """The spots of a problems GeoJSON file (`gridboard validate --out`), ready to draw;
    ValueError saying why the file cannot be used (unreadable, not JSON, not GeoJSON)."""
    from layers.mapfig import problem_spots

    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    try:
        collection = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"is not a JSON file ({exc})") from None
    try:
        return problem_spots(collection, shift)
    except ValueError as exc:
        raise ValueError(f"is not a problems file: it {exc}") from None


def _meta(
    env: str,
    help_text: str,
    parse: Callable[[str], Any] = _text,
    check: Callable[[Any], str | None] = _check_text,
    secret: bool = False,
) -> dict[str, Any]:
    """Field metadata: the environment variable, its help text, its parser and its check;
    a `secret` value is never repeated in a message."""
    return {"env": env, "help": help_text, "parse": parse, "check": check, "secret": secret}


def _named(meta: Mapping[str, Any], value: object) -> str:
    """`VARIABLE='value'` for a message, the value left out when it is a secret."""
    if isinstance(value, str) and is_database_url(value):
        value = shown(value)  # without its password
    return f"{meta['env']}=" + ("(not shown: a secret)" if meta["secret"] else repr(value))


@dataclass(frozen=True)
class Settings:
    """Every setting of the dashboard; the fields and their metadata are the one table."""

    data: Path | str = field(
        default=Path("data/gridboard.gpkg"),
        metadata=_meta(
            "GRIDBOARD_DATA",
            "The store: a GeoPackage file (created by `gridboard demo …` or an import), or"
            " a PostGIS database as a postgresql:// URL (made a store by `gridboard migrate`"
            " or an import).",
            location,
            _check_location,
        ),
    )
    host: str = field(
        default="127.0.0.1",
        metadata=_meta("GRIDBOARD_HOST", "Address the web server listens on."),
    )
    port: int = field(
        default=8050,
        metadata=_meta("GRIDBOARD_PORT", "Port the web server listens on.", _port, _check_port),
    )
    workers: int = field(
        default=2,
        metadata=_meta(
            "GRIDBOARD_WORKERS",
            "App processes `gridboard serve` runs (gunicorn workers; a dead one is replaced).",
            _count,
            _check_count,
        ),
    )
    threads: int = field(
        default=4,
        metadata=_meta("GRIDBOARD_THREADS", "Threads of each app process.", _count, _check_count),
    )
    cache_type: str = field(
        default="SimpleCache",
        metadata=_meta(
            "GRIDBOARD_CACHE_TYPE",
            "Cache of aggregated metrics when GRIDBOARD_REDIS_URL is not set (flask-caching"
            " class name): " + ", ".join(CACHE_TYPES) + ".",
            check=_check_cache_type,
        ),
    )
    cache_dir: Path = field(
        default=Path("data/cache"),
        metadata=_meta(
            "GRIDBOARD_CACHE_DIR", "Directory of the FileSystemCache.", _path, _check_path
        ),
    )
    redis_url: str = field(
        default="",
        repr=False,  # may hold a password
        metadata=_meta(
            "GRIDBOARD_REDIS_URL",
            "Redis server (redis://host:6379/0) that every app process shares for the cache and"
            " the sign-in limit's counters; if it goes away the app serves uncached (and counts"
            " sign-ins per process) and says so in its log. Empty: each process keeps its own"
            " (GRIDBOARD_CACHE_TYPE).",
            check=_check_redis_url,
            secret=True,  # the URL may hold a password
        ),
    )
    cache_timeout: int = field(
        default=300,
        metadata=_meta(
            "GRIDBOARD_CACHE_TIMEOUT",
            "Seconds a cached result is kept (0: until the cache is cleared).",
            _seconds,
            _check_seconds,
        ),
    )
    language: str = field(
        default="zh",
        metadata=_meta(
            "GRIDBOARD_LANGUAGE",
            "Default language of the pages: zh (简体中文) or en; `?lang=` in a URL overrides it.",
            check=_one_of(LANGUAGES),
        ),
    )
    tiles: str = field(
        default="none",
        metadata=_meta(
            "GRIDBOARD_TILES",
            "Background map tiles: " + ", ".join(TILE_PROVIDERS) + " (none needs no network).",
            check=_one_of(TILE_PROVIDERS),
        ),
    )
    tianditu_key: str = field(
        default="",
        repr=False,  # a secret
        metadata=_meta(
            "GRIDBOARD_TIANDITU_KEY",
            "Tianditu (天地图) API key; required when GRIDBOARD_TILES=tianditu.",
            secret=True,
        ),
    )
    problems: Path | None = field(
        default=None,
        metadata=_meta(
            "GRIDBOARD_PROBLEMS",
            "A problems GeoJSON written by `gridboard validate --out FILE`; when set, the map"
            " offers a 问题 / Problems layer (once the file exists) to accounts that see the"
            " whole city. Unset: no such layer.",
            _path,
            _check_problems,
        ),
    )
    public_url: str = field(
        default="",
        metadata=_meta(
            "GRIDBOARD_PUBLIC_URL",
            "The address people open the dashboard at (e.g. https://grid.example.cn); pages"
            " name it in their link-preview tags. Empty: no such tags (never the request's Host).",
            check=_check_public_url,
        ),
    )
    max_window_days: int = field(
        default=1096,
        metadata=_meta(
            "GRIDBOARD_MAX_WINDOW_DAYS",
            "Longest period, in days, the case table and its CSV list (default about 3 years).",
            _count,
            _check_count,
        ),
    )
    max_request_bytes: int = field(
        default=1_000_000,
        metadata=_meta(
            "GRIDBOARD_MAX_REQUEST_BYTES",
            "Largest request body the server accepts; a bigger one is refused (HTTP 413).",
            _count,
            _check_count,
        ),
    )
    session_idle_minutes: int = field(
        default=480,
        metadata=_meta(
            "GRIDBOARD_SESSION_IDLE_MINUTES",
            "Minutes a signed-in session may stay unused before it ends (default 8 hours).",
            _count,
            _check_count,
        ),
    )
    behind_tls: bool = field(
        default=False,
        metadata=_meta(
            "GRIDBOARD_BEHIND_TLS",
            "The app is served over HTTPS (e.g. behind a TLS proxy): session cookies are sent"
            " only over HTTPS (Secure).",
            _flag,
            _check_flag,
        ),
    )
    proxy_hops: int = field(
        default=0,
        metadata=_meta(
            "GRIDBOARD_PROXY_HOPS",
            "Reverse proxies in front of the app (e.g. 1 behind one nginx) whose X-Forwarded-For"
            " and X-Forwarded-Proto are trusted: the client's address (audit trail, sign-in"
            " limit) is read from them. 0: the address the connection comes from.",
            _whole,
            _check_whole,
        ),
    )
    login_attempts_per_minute: int = field(
        default=20,
        metadata=_meta(
            "GRIDBOARD_LOGIN_ATTEMPTS_PER_MINUTE",
            "Sign-in attempts one address may make in a minute; more are refused (HTTP 429).",
            _count,
            _check_count,
        ),
    )
    debug: bool = field(
        default=False,
        metadata=_meta(
            "GRIDBOARD_DEBUG",
            "Debug mode: `gridboard serve` runs Flask's development server with Dash's dev"
            " tools and reloading instead of gunicorn; never on a public server.",
            _flag,
            _check_flag,
        ),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            problem = f.metadata["check"](getattr(self, f.name))
            if problem:
                raise SettingsError(f"{_named(f.metadata, getattr(self, f.name))} {problem}")
        if self.tiles == "tianditu" and not self.tianditu_key:
            raise SettingsError("GRIDBOARD_TILES='tianditu' needs GRIDBOARD_TIANDITU_KEY")

    def idle(self) -> dt.timedelta:
        """How long a session may stay unused."""
        return dt.timedelta(minutes=self.session_idle_minutes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `environ` (default: os.environ); `overrides` (field names) win.

        An empty variable counts as unset. A string override is parsed like the variable.
        """
        env = os.environ if environ is None else environ
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, f in known.items():
            raw = overrides.get(name, env.get(f.metadata["env"], ""))
            if isinstance(raw, str) and raw == "" and name not in overrides:
                continue
            values[name] = _parse(f.metadata, raw) if isinstance(raw, str) else raw
        return cls(**values)


def _parse(meta: Mapping[str, Any], raw: str) -> Any:
    """Parse and check one raw value, naming the variable and the raw value on failure."""
    try:
        value = meta["parse"](raw)
    except ValueError as exc:
        raise SettingsError(f"{_named(meta, raw)} {exc}") from None
    problem = meta["check"](value)
    if problem:
        raise SettingsError(f"{_named(meta, raw)} {problem}")
    return value


def settings_table_markdown() -> str:
    """The table of environment variables (variable, default, meaning) for the README."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = f.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        if isinstance(default, bool):
            shown = f"`{str(default).lower()}`"
        lines.append(f"| `{f.metadata['env']}` | {shown} | {f.metadata['help']} |")
    return "\n".join(lines) + "\n"
