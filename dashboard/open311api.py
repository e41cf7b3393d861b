"""The Open311 GeoReport v2 door for a 12345 hotline or a residents' app: /open311/v2/…

GET services.json, requests.json and requests/{id}.json need no key and return nothing
personal; POST requests.json needs an api_key (`gridboard apikey add`) and enters a case as
reported (上报) with source open311. Errors are the spec's: a JSON array of {code,
description} with 400, 403 or 404 — and 429 past REQUESTS_PER_MINUTE from one address (a
public door must not be a way to read the city's cases as fast as a machine can ask).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import flask
import pandas as pd
from flask import Response, request
from flask_limiter import Limiter

from dashboard import context
from dashboard.passwords import token_digest
from geodata.model import LOCAL_TZ
from geodata.store import StoreError
from layers import open311 as door

PREFIX = "/open311/v2"
MAX_BODY = 64 << 10  # bytes of a posted request's form
REQUESTS_PER_MINUTE = 120  # from one address, reads and posts together


def install(server: flask.Flask, limiter: Limiter) -> None:
    """Add the door's four routes to `server` (the gate lets them in without a session), each
    counted against one limit per address (`limiter`: the app's, in Redis when there is one)."""
    limit = limiter.shared_limit(
        f"{REQUESTS_PER_MINUTE} per minute",
        scope="open311",
        on_breach=lambda _limit: _too_many(),
    )
    server.add_url_rule(f"{PREFIX}/services.json", "open311_services", limit(_services))
    server.add_url_rule(f"{PREFIX}/requests.json", "open311_requests", limit(_requests))
    post = limit(_post)
    server.add_url_rule(f"{PREFIX}/requests.json", "open311_post", post, methods=["POST"])
    server.add_url_rule(f"{PREFIX}/requests/<case_id>.json", "open311_request", limit(_one))


def _too_many() -> Response:
    said = f"too many requests: at most {REQUESTS_PER_MINUTE} a minute from one address"
    return _json([{"code": 429, "description": said}], 429)


def _json(value: object, status: int = 200) -> Response:
    text = json.dumps(value, ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


def _error(exc: door.Open311Error) -> Response:
    return _json(exc.body(), exc.status)


def _lang() -> str:
    return "en" if request.args.get("locale", "").lower().startswith("en") else "zh"


def _services() -> Response:
    return _json(door.services(context.store().categories(), _lang()))


def _names() -> dict[str, str]:
    """The catalogue's names in the asked language, by code."""
    lang = _lang()
    return {c.code: c.name(lang) for c in context.store().categories()}


def _requests() -> Response:
    names = _names()
    try:
        asked = door.query(request.args, dt.datetime.now(LOCAL_TZ), names)
    except door.Open311Error as exc:
        return _error(exc)
    cases = context.store().service_requests(
        asked.start, asked.end, asked.status, asked.service_code, asked.ids, door.MAX_REQUESTS
    )
    return _json(door.request_rows(cases, names))


def _one(case_id: str) -> Response:
    cases = context.store().case_record(case_id[:64])
    if cases.empty:
        return _error(door.Open311Error(404, "service_request_id not found"))
    return _json(door.request_rows(cases, _names()))


def _post() -> Response:
    if (request.content_length or 0) > MAX_BODY:
        return _error(door.Open311Error(400, "the request is too large"))
    store = context.store()
    key = request.form.get("api_key", "")
    name = store.api_key_name(token_digest(key)) if key and len(key) <= 128 else None
    if name is None:
        return _error(door.Open311Error(403, "api_key is missing, unknown or revoked"))
    now = dt.datetime.now(dt.UTC)
    try:
        row = door.posted(request.form, (c.code for c in store.categories()), now)
        if store.locate(row["lon"], row["lat"]) is None:
            raise door.Open311Error(400, "the location is outside the city")
    except door.Open311Error as exc:
        return _error(exc)
    row["id"] = f"O311-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
    try:
        store.add_cases(pd.DataFrame([row]))
    except StoreError:
        return _error(door.Open311Error(400, "the request could not be stored"))
    context.audit("open311_post", f"case={row['id']}", actor=f"apikey:{name}")
    return _json([{"service_request_id": row["id"], "service_notice": "", "account_id": ""}])
