"""The visit route as components: heading, summary, the stop list with its move buttons, and
the stops that did not fit; the routes page (pages/routes.py) lays them out."""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import format_date, format_number, t
from dashboard.routetext import distance_text, minutes_text, reason_text
from layers import routeview
from layers.itinerary import CandidateStop, Itinerary, Network, clock
from layers.routeview import DOWN, UP, Planned, RouteView, Row


def weekday_text(day: dt.date, lang: str) -> str:
    """The weekday of `day` in `lang` (星期三, Wednesday)."""
    return t(f"sheet.weekday.{day.weekday()}", lang)


def heading(route: Itinerary, lang: str) -> str:
    """The route's heading: worker, community, date and weekday."""
    day = route.date
    return t(
        "route.page.heading",
        lang,
        name=route.worker_name,
        date=format_date(day, lang),
        weekday=weekday_text(day, lang),
    )


def summary(planned: Planned, view: RouteView) -> list[Component]:
    """Stops, walking, time against the budget, back at the hall; notes on the user's order."""
    route, lang = planned.route, view.lang
    facts = [
        t("route.page.summary.stops", lang, count=len(route.stops)),
        t(
            "route.page.summary.walk",
            lang,
            distance=distance_text(route.walk_m, lang),
            minutes=minutes_text(route.walk_min, lang),
        ),
        t(
            "route.page.summary.total",
            lang,
            total=minutes_text(route.total_min, lang),
            budget=minutes_text(route.budget_min, lang),
        ),
        t("route.page.summary.back", lang, time=clock(route.back)),
    ]
    parts: list[Component] = [
        html.Ul([html.Li(fact) for fact in facts], className="gb-route-facts")
    ]
    notes = summary_notes(planned, view)
    if notes:
        parts.append(dmc.Alert([dmc.Text(note) for note in notes], color="yellow"))
    return parts


def summary_notes(planned: Planned, view: RouteView) -> list[str]:
    """What the reader should know about this route beyond its figures."""
    route, lang = planned.route, view.lang
    notes = []
    if planned.stale:
        notes.append(t("route.page.stale_order", lang, count=len(planned.stale)))
    if routeview.over_budget(route):
        over = minutes_text(route.total_min - route.budget_min, lang)
        notes.append(
            t(
                "route.page.over_budget",
                lang,
                total=minutes_text(route.total_min, lang),
                over=over,
            )
        )
    if route.network is Network.STRAIGHT_LINE:
        notes.append(t("route.page.straight_line", lang))
    return notes


def _move_button(row: Row, direction: str, lang: str) -> Component:
    label = t(f"route.page.move_{direction}", lang, name=row.name)
    disabled = row.first if direction == UP else row.last
    return html.Button(
        "↑" if direction == UP else "↓",
        id=ids.route_move(row.id, direction),
        className=f"gb-route-move gb-route-move-{direction}",
        title=label,
        disabled=disabled,
        n_clicks=0,
        **{"aria-label": label},
    )


def stop_row(row: Row, stop: CandidateStop, lang: str) -> Component:
    """One stop: number, arrival, place and address, reason, walk from before, move buttons."""
    walk = t("route.page.walk_min", lang, minutes=format_number(row.walk_min, lang))
    return html.Tr(
        [
            html.Td(html.Span(str(row.number), className="gb-route-num-badge")),
            html.Td(row.arrival, className="gb-route-arrival"),
            html.Td(
                [
                    html.Div(row.name, className="gb-route-place"),
                    html.Div(row.address, className="gb-route-address"),
                ]
            ),
            html.Td(reason_text(stop, lang), className="gb-route-reason"),
            html.Td(
                [
                    walk,
                    html.Div(distance_text(row.walk_m, lang), className="gb-route-address"),
                ],
                className="gb-route-walk",
            ),
            html.Td(
                [_move_button(row, UP, lang), _move_button(row, DOWN, lang)],
                className="gb-route-moves",
            ),
        ],
        className="gb-route-row",
        **{"data-stop": row.id, "data-number": str(row.number)},
    )


def hall_row(route: Itinerary, when: dt.datetime, key: str, lang: str) -> Component:
    """The service hall as a row of the stop list (leaving from it, or back at it)."""
    hall = route.start
    return html.Tr(
        [
            html.Td(html.Span(t("route.page.hall", lang), className="gb-route-hall-badge")),
            html.Td(clock(when), className="gb-route-arrival"),
            html.Td(
                [
                    html.Div(hall.name, className="gb-route-place"),
                    html.Div(hall.address, className="gb-route-address"),
                ]
            ),
            html.Td(t(key, lang), colSpan=3),
        ],
        className="gb-route-hall-row",
    )


def stop_table(route: Itinerary, lang: str) -> Component:
    """The stops in visiting order between leaving and coming back to the service hall."""
    heads = ("number", "arrival", "place", "reason", "walk", "move")
    by_id = {rs.stop.id: rs.stop for rs in route.stops}
    body = [
        hall_row(route, route.departure, "route.page.leave_hall", lang),
        *(stop_row(row, by_id[row.id], lang) for row in routeview.rows(route)),
        hall_row(route, route.back, "route.page.back_hall", lang),
    ]
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"route.page.col.{h}", lang)) for h in heads])),
            html.Tbody(body),
        ],
        className="gb-route-table",
    )


def dropped_list(route: Itinerary, lang: str) -> list[Component]:
    """The stops that did not fit, lowest priority first, with why they were wanted."""
    if not route.dropped:
        return [dmc.Text(t("route.page.dropped.none", lang), className="gb-note")]
    items = [
        html.Li(
            [
                html.Span(stop.place.name, className="gb-route-place"),
                html.Span(f" · {stop.place.address}", className="gb-route-address"),
                html.Div(reason_text(stop, lang), className="gb-route-reason"),
            ],
            **{"data-stop": stop.id},
        )
        for stop in route.dropped
    ]
    title = t("route.page.dropped.title", lang, count=len(route.dropped))
    return [dmc.Title(title, order=3), html.Ul(items, className="gb-route-dropped-list")]
