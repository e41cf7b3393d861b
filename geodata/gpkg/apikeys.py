"""API keys of the Open311 door (schema version 3): a name per key, only its hash kept."""

from __future__ import annotations

import datetime as dt

from ..accounts import AccountError
from .categories import CATALOGUE_SINCE
from .connection import Connection


class ApiKeys(Connection):
    """Keys a hotline or an app posts requests with; revoked keys stay listed."""

    def add_api_key(self, name: str, key_hash: str, at: dt.datetime) -> None:
        if not name or name != name.strip() or len(name) > 64:
            raise AccountError(f"API key name {name!r}: empty, too long or spaces at its ends")
        with self._account_write("API key") as con:
            if con.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"API key {name!r} exists already")
            con.execute(
                "INSERT INTO api_keys (name, key_hash, created_at, revoked) VALUES (?,?,?,0)",
                (name, key_hash, at.astimezone(dt.UTC).isoformat(timespec="seconds")),
            )

    def api_key_name(self, key_hash: str) -> str | None:
        if int(self.schema_version) < CATALOGUE_SINCE:
            return None
        sql = "SELECT name FROM api_keys WHERE key_hash = ? AND revoked = 0"
        row = self._connect().execute(sql, (key_hash,)).fetchone()
        return row[0] if row else None

    def api_keys(self) -> list[tuple[str, str, bool]]:
        if int(self.schema_version) < CATALOGUE_SINCE:
            return []
        sql = "SELECT name, created_at, revoked FROM api_keys ORDER BY name"
        return [(n, c, bool(r)) for n, c, r in self._connect().execute(sql)]

    def revoke_api_key(self, name: str) -> None:
        with self._account_write("API key") as con:
            cur = con.execute("UPDATE api_keys SET revoked = 1 WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise AccountError(f"no API key named {name!r}")
