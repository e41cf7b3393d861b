"""The page header every page shares: title, links to the other pages, the language switch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import dash
import dash_mantine_components as dmc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, t

# What the pages tell a user whose store is empty.
DEMO_COMMAND = "gridboard demo --scale street --out {path}"


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
    links = [
        dcc.Link(label, href=href(target, lang, {}), className="gb-nav-link")
        for target, label in pages
    ]
    return html.Header(
        dmc.Group(
            [
                dmc.Title(t("app.title", lang), order=1, id=ids.PAGE_TITLE),
                dmc.Group([*links, language_switch(lang, query, path)], gap="lg"),
            ],
            justify="space-between",
        ),
        className="gb-header",
    )
