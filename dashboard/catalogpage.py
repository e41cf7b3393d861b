"""The category catalogue for administrators: /admin/categories lists it and edits one
category at a time (a form with the session's token; every change audited)."""

from __future__ import annotations

import flask
from flask import Response, request

from dashboard import context
from dashboard.i18n import t
from dashboard.signin import from_session_form, language, render
from geodata.catalogue import COLUMNS, category_from_values
from geodata.model import Category, LimitUnit, Responsible, category_values
from geodata.store import StoreError

PATH = "/admin/categories"


def install(server: flask.Flask) -> None:
    """Add /admin/categories to `server` (the gate lets only administrators in)."""
    server.add_url_rule(PATH, "categories", _page, methods=["GET", "POST"])


def _page() -> Response:
    if request.method == "POST":
        return _save()
    return _render()


def _render(problems: list[str] | None = None, status: int = 200, form=None) -> Response:
    categories = context.store().categories()
    if form is None:  # ?edit=CODE fills the form with that category
        chosen = [c for c in categories if c.code == request.args.get("edit")]
        form = _form_of(chosen[0]) if chosen else {}
    return render(
        "categories.html",
        status,
        categories=categories,
        columns=COLUMNS,
        units=[u.value for u in LimitUnit],
        responsibles=[r.value for r in Responsible],
        problems=problems or [],
        saved=request.args.get("saved", "")[:40],
        form=form,
    )


def _form_of(category: Category) -> dict[str, str]:
    values = dict(zip(COLUMNS, category_values(category), strict=True))
    values["time_limit"] = f"{float(values['time_limit']):g}"
    return values


def _save() -> Response:
    if not from_session_form():
        return _render([t("login.expired", language())], 400)
    values = {c: request.form.get(c, "")[:4000] for c in COLUMNS}
    category, problems = category_from_values(values)
    if category is None:
        return _render([p.reason() for p in problems], 400, values)
    try:
        context.store().write_categories([category])
    except StoreError as exc:
        return _render([str(exc)], 409, values)
    context.audit("category_change", f"category={category.code}")
    return flask.redirect(f"{PATH}?saved={category.code}", code=303)
