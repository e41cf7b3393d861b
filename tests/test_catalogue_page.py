"""The catalogue page for administrators over HTTP: list, edit one, bad values named and
nothing changed, and nobody else let in."""

from __future__ import annotations

import re

import pytest

from geodata.model import LimitUnit
from geodata.store import Store
from tests.webutil import session_client


@pytest.fixture
def store(town_copy: Store) -> Store:
    return town_copy


def _form(page: str) -> dict[str, str]:
    """The edit form's fields as the page fills them."""
    form = dict(re.findall(r'<input name="(\w+)" value="([^"]*)"', page))
    form |= dict(re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', page))
    form |= dict(re.findall(r'<select name="(\w+)">.*?<option value="(\w+)" selected', page))
    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return form


def test_an_administrator_edits_one_category(store: Store) -> None:
    client = session_client(store, "admin")
    page = client.get("/admin/categories?edit=noise").get_data(as_text=True)
    assert 'data-code="noise"' in page and "噪音扰民" in page
    form = _form(page)
    assert (form["code"], form["time_limit"], form["time_unit"]) == ("noise", "2", "work_days")
    form |= {"time_limit": "6", "time_unit": "work_hours", "close_rule": "<b>回访满意</b>"}
    saved = client.post("/admin/categories", data=form)
    assert saved.status_code == 303 and saved.location.endswith("saved=noise")
    noise = {c.code: c for c in store.categories()}["noise"]
    assert (noise.time_limit, noise.time_unit, noise.close_rule) == (
        6.0,
        LimitUnit.WORK_HOURS,
        "<b>回访满意</b>",
    )
    listed = client.get("/admin/categories").get_data(as_text=True)
    assert "&lt;b&gt;回访满意&lt;/b&gt;" in listed  # text, never markup
    assert any(e.action == "category_change" for e in store.audit_entries())


def test_bad_values_are_named_and_nothing_changes(store: Store) -> None:
    client = session_client(store, "admin")
    form = _form(client.get("/admin/categories?edit=noise").get_data(as_text=True))
    before = store.categories()
    answer = client.post("/admin/categories", data=form | {"time_limit": "0"})
    assert answer.status_code == 400
    assert "time_limit &#39;0&#39; must be more than 0" in answer.get_data(as_text=True)
    answer = client.post("/admin/categories", data=form | {"csrf_token": "forged"})
    assert answer.status_code == 400
    assert store.categories() == before


@pytest.mark.parametrize("login", ["street", "city", "community"])
def test_nobody_else_opens_or_posts_to_it(store: Store, login: str) -> None:
    client = session_client(store, login)
    assert client.get("/admin/categories").status_code == 403
    before = store.categories()
    assert client.post("/admin/categories", data={"code": "noise"}).status_code == 403
    assert store.categories() == before
