"""The visit rules page for administrators over HTTP: list in both languages, change one rule
(audited), bad days or an unknown tag named with nothing changed, and nobody else let in."""

from __future__ import annotations

import re

import pytest

from geodata.households import DEFAULT_RULES
from geodata.store import Store
from tests.webutil import form_token, session_client

PATH = "/admin/visitrules"


@pytest.fixture
def store(town_copy: Store) -> Store:
    return town_copy


def test_an_administrator_reads_the_rules_in_either_language(store: Store) -> None:
    client = session_client(store, "admin")
    page = client.get(PATH).get_data(as_text=True)
    assert "走访周期" in page and "独居老人" in page and "社区矫正对象" in page
    assert re.search(r'data-tag="ordinary">.*?value="120"', page, re.S)
    english = client.get(f"{PATH}?lang=en").get_data(as_text=True)
    assert "Visit rules" in english and "Elderly living alone" in english
    assert "独居老人" not in english


def test_an_administrator_changes_one_rule_and_it_is_audited(store: Store) -> None:
    client = session_client(store, "admin")
    token = form_token(client.get(PATH).get_data(as_text=True))
    saved = client.post(PATH, data={"csrf_token": token, "tag": "living_alone", "days": "14"})
    assert saved.status_code == 303 and "saved=living_alone" in saved.location
    assert store.visit_rules() == {**DEFAULT_RULES, "living_alone": 14}
    (entry,) = [e for e in store.audit_entries() if e.action == "visit_rule_change"]
    assert entry.actor == "admin" and entry.target == "visit_rule=living_alone:14"
    page = client.get(saved.location).get_data(as_text=True)
    assert "已保存：独居老人" in page


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"tag": "hardship", "days": "0"}, "困难家庭：走访周期“0”须为 1 到 3650 的整数天"),
        ({"tag": "hardship", "days": "2.5"}, "走访周期“2.5”须为"),
        ({"tag": "hardship", "days": "<b>"}, "走访周期“&lt;b&gt;”须为"),
        ({"tag": "vip", "days": "30"}, "未知的家庭类别“vip”"),
    ],
)
def test_bad_days_or_an_unknown_tag_are_named_and_nothing_changes(store, form, said) -> None:
    client = session_client(store, "admin")
    token = form_token(client.get(PATH).get_data(as_text=True))
    before = store.visit_rules()
    answer = client.post(PATH, data={"csrf_token": token, **form})
    assert answer.status_code == 400 and said in answer.get_data(as_text=True)
    assert store.visit_rules() == before
    forged = client.post(PATH, data={"csrf_token": "forged", "tag": "hardship", "days": "7"})
    assert forged.status_code == 400 and store.visit_rules() == before
    assert not [e for e in store.audit_entries() if e.action == "visit_rule_change"]


@pytest.mark.parametrize("login", ["street", "city", "community"])
def test_nobody_else_opens_or_posts_to_it(store: Store, login: str) -> None:
    client = session_client(store, login)
    assert client.get(PATH).status_code == 403
    answer = client.post(PATH, data={"tag": "hardship", "days": "7"})
    assert answer.status_code == 403 and store.visit_rules() == dict(DEFAULT_RULES)
