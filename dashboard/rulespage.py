"""The visit rules for administrators: /admin/visitrules lists the days between visits of each
kind of household and changes one rule at a time (a form with the session's token; audited)."""

from __future__ import annotations

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.signin import from_session_form, language, render
from geodata.households import DEFAULT_RULES, MAX_RULE_DAYS, ORDINARY, TAGS
from geodata.store import StoreError

PATH = "/admin/visitrules"
KINDS = (ORDINARY, *TAGS)


def install(server: flask.Flask) -> None:
    """Add /admin/visitrules to `server` (the gate lets only administrators in)."""
    server.add_url_rule(PATH, "visitrules", _page, methods=["GET", "POST"])


def _page() -> Response:
    if request.method == "POST":
        return _save()
    return _render()


def _render(problems: list[str] | None = None, status: int = 200) -> Response:
    rules = context.store().visit_rules()
    saved = request.args.get("saved", "")
    return render(
        "visitrules.html",
        status,
        rules=[(kind, rules[kind], DEFAULT_RULES[kind]) for kind in KINDS],
        problems=problems or [],
        saved=saved if saved in KINDS else "",
        most=MAX_RULE_DAYS,
    )


def _save() -> Response:
    lang = language()
    if not from_session_form():
        return _render([t("login.expired", lang)], 400)
    kind = request.form.get("tag", "").strip()[:40]
    text = request.form.get("days", "").strip()[:12]
    if kind not in KINDS:
        return _render([t("visitrules.unknown_tag", lang, tag=kind)], 400)
    days = int(text) if text.isascii() and text.isdigit() else None
    if days is None or not 1 <= days <= MAX_RULE_DAYS:
        name = t(f"visitrules.tag.{kind}", lang)
        return _render([t("visitrules.bad_days", lang, tag=name, days=text)], 400)
    try:
        context.store().set_visit_rules({kind: days})
    except StoreError as exc:
        return _render([str(exc)], 409)
    context.audit("visit_rule_change", f"visit_rule={kind}:{days}")
    return flask.redirect(f"{PATH}?saved={kind}&lang={lang}", code=303)
