"""The page header every page shares: title, links to the other pages, the language switch."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import dash
import dash_mantine_components as dmc
import flask
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import context, ids
from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, resolve_language, t
from geodata.backends import shown

# What the pages tell a user whose store is empty.
DEMO_COMMAND = "gridboard demo --scale street --out {path}"
# The pages a header links to, in this order: (path, translation key of its name).
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "nav.map"),
    ("/overview", "nav.overview"),
    ("/routes", "nav.routes"),
    ("/cases", "nav.cases"),
    ("/kpi", "nav.kpi"),
)
SERVER_PAGES = frozenset({"/cases", "/kpi"})  # pages Flask renders, outside Dash's router


def other_pages(here: str, lang: str) -> list[tuple[str, str]]:
    """(path, name) of every page but `here`, for the header's links."""
    return [(path, t(key, lang)) for path, key in PAGES if path != here]


def page_title(key: str = "app.title") -> Callable[..., str]:
    """A page's browser-tab title for dash.register_page, in the language of the page opened."""

    def title(**_path_variables: object) -> str:
        return t(key, requested_language())

    return title


def requested_language() -> str:
    """`?lang=` of the page being opened: the URL's on a first load, and on a move inside the
    app the one the pages router (a Dash callback) was given; else the default language."""
    lang = flask.request.args.get("lang")
    try:
        search = dash.ctx.inputs.get("_pages_location.search") or ""
    except (LookupError, dash.exceptions.MissingCallbackContextException):  # not in a callback
        search = ""
    lang = (parse_qs(search.lstrip("?")).get("lang") or [lang])[0]
    return resolve_language(lang, context.settings().language)


def first_value(value: Any) -> str | None:
    """A query value as one string: Dash hands repeated parameters over as lists."""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def href(path: str, lang: str, query: Mapping[str, Any]) -> str:
    """The link to `path` in `lang`, keeping the rest of `query`."""
    return dash.get_relative_path(path) + "?" + urlencode({**query, "lang": lang}, doseq=True)


def language_links(lang: str, query: Mapping[str, Any], path: str) -> list[Component | str]:
    """中文 / English: the current language as text, the other as a link keeping the query."""
    items: list[Component | str] = []
    for code in LANGUAGES:
        if items:
            items.append(html.Span("/", className="gb-lang-sep"))
        name = LANGUAGE_NAMES[code]
        if code == lang:
            items.append(html.Span(name, id=ids.lang_link(code), className="gb-lang-current"))
        else:
            items.append(dcc.Link(name, id=ids.lang_link(code), href=href(path, code, query)))
    return items


def address_and_links(search: str, lang: str, path: str) -> tuple[str, list[Component | str]]:
    """A view's query string for the address bar, and language links that keep the view."""
    query = dict(parse_qsl(search.lstrip("?")))
    query.pop("lang", None)
    return search, language_links(lang, query, path)


def language_switch(lang: str, query: Mapping[str, Any], path: str) -> Component:
    """The language links in their labelled navigation element."""
    return html.Nav(
        language_links(lang, query, path),
        id=ids.LANG_SWITCH,
        className="gb-lang",
        **{"aria-label": t("lang.switch", lang)},
    )


def header(
    lang: str,
    query: Mapping[str, Any],
    path: str,
    pages: Sequence[tuple[str, str]] = (),
) -> Component:
    """The page title, links to other pages ((path, label) pairs) and the language switch."""
    who = context.current_principal()
    links = [
        dcc.Link(
            label,
            href=href(target, lang, {}),
            className="gb-nav-link",
            refresh=target in SERVER_PAGES,  # not a Dash page: a whole page load
        )
        for target, label in pages
        if who is None or who.may_open(target)
    ]
    return html.Header(
        dmc.Group(
            [
                dmc.Title(t("app.title", lang), order=1, id=ids.PAGE_TITLE),
                dmc.Group(
                    [*links, language_switch(lang, query, path), account_box(lang)], gap="lg"
                ),
            ],
            justify="space-between",
        ),
        className="gb-header",
    )


def account_box(lang: str) -> Component | None:
    """Who is signed in (name, roles and scopes) and the sign-out button; None for nobody."""
    who, signed = context.current_principal(), context.signed()
    if who is None or signed is None:
        return None
    roles = "、".join(
        t(f"account_role.{role}", lang) + (f" · {scope}" if scope else "")
        for role, scope in who.labels
    ) or "、".join(t(f"account_role.{role}", lang) for role in who.roles)
    name = f"{who.name} ({who.login})" if who.name else who.login
    items: list[Component] = [html.Span(name, id=ids.ACCOUNT_NAME, className="gb-account-name")]
    items.append(html.Span(roles, id=ids.ACCOUNT_ROLES, className="gb-account-roles"))
    if who.kind == "user":
        items.append(
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=signed.session.csrf),
                    html.Button(t("account.logout", lang), id=ids.LOGOUT, type="submit"),
                ],
                method="post",
                action="/logout",
                className="gb-logout",
            )
        )
    return html.Div(items, id=ids.ACCOUNT, className="gb-account")


def empty_store_view(
    lang: str, query: Mapping[str, Any], path: str, alert_id: str, page_id: str | None = None
) -> Component:
    """A page of a store with no data yet: the header and the command that builds the demo
    into the app's store file; `page_id` names the page's main element, `alert_id` the hint."""
    command = DEMO_COMMAND.format(path=shlex.quote(shown(context.settings().data)))
    main_id = {"id": page_id} if page_id else {}
    return html.Main(
        [
            header(lang, query, path, other_pages(path, lang)),
            dmc.Alert(
                [dmc.Text(t("overview.empty.hint", lang)), dmc.Code(command, block=True)],
                title=t("overview.empty.title", lang),
                id=alert_id,
                color="blue",
            ),
        ],
        className="gb-page",
        **main_id,
    )
