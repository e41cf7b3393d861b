"""Translations: both catalogues complete, English free of CJK, strict keys, number/date formats."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import numpy as np
import pytest

from dashboard.i18n import (
    CATALOGUES,
    LANGUAGE_NAMES,
    LANGUAGES,
    MISSING,
    category_name,
    contains_cjk,
    format_date,
    format_number,
    resolve_language,
    t,
)
from geodata.model import CATEGORIES, CaseSource, CaseStatus, Level, OrgKind, Role

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([^"'{}]+)["']""")
PREFIX_KEY = re.compile(r"""\bt\(\s*f["']([a-z_.]+)\{""")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys() -> None:
    assert set(LANGUAGES) == set(CATALOGUES) == {"zh", "en"}
    assert set(CATALOGUES["zh"]) == set(CATALOGUES["en"])


def test_no_text_is_empty() -> None:
    for lang, catalogue in CATALOGUES.items():
        empty = [key for key, text in catalogue.items() if not text.strip()]
        assert not empty, f"{lang}: {empty}"


def test_english_has_no_cjk() -> None:
    cjk = {key: text for key, text in CATALOGUES["en"].items() if contains_cjk(text)}
    assert not cjk


def test_chinese_user_interface_is_chinese() -> None:
    latin_only = [
        key
        for key, text in CATALOGUES["zh"].items()
        if not key.startswith("source.") and not contains_cjk(text)
    ]
    assert not latin_only


def test_placeholders_match_across_languages() -> None:
    for key, template in CATALOGUES["zh"].items():
        assert _fields(template) == _fields(CATALOGUES["en"][key]), key


def test_one_chinese_word_for_case() -> None:
    assert t("term.case", "zh") == "诉求"
    for key, text in CATALOGUES["zh"].items():
        assert "案件" not in text and "事件" not in text.replace("突发事件", ""), key


@pytest.mark.parametrize(
    ("term", "zh"),
    [
        ("street", "街道"),
        ("community", "社区"),
        ("compound", "小区"),
        ("grid_cell", "网格"),
        ("grid_worker", "网格员"),
        ("building_manager", "楼管"),
        ("visit", "走访"),
        ("overdue", "超期"),
    ],
)
def test_glossary_words(term: str, zh: str) -> None:
    assert t(f"term.{term}", "zh") == zh
    assert t(f"term.{term}", "en")


def test_domain_model_names_exist_in_both_languages() -> None:
    for prefix, members in (
        ("level", Level),
        ("org", OrgKind),
        ("role", Role),
        ("status", CaseStatus),
        ("source", CaseSource),
    ):
        for member in members:
            for lang in LANGUAGES:
                assert t(f"{prefix}.{member.value}", lang), (prefix, member, lang)


def test_category_names_come_from_the_model() -> None:
    for category in CATEGORIES:
        assert category_name(category.code, "zh") == category.name_zh
        assert category_name(category.code, "en") == category.name_en


def test_status_names_follow_the_standard() -> None:
    assert t("status.registered", "zh") == "立案"
    assert t("status.closed", "zh") == "结案"
    assert t("status.rejected", "en") == "Rejected"


def test_missing_key_raises() -> None:
    for lang in (*LANGUAGES, "fr"):
        with pytest.raises(KeyError, match=r"no\.such\.key"):
            t("no.such.key", lang)


def test_unknown_language_falls_back_to_chinese() -> None:
    assert t("app.title", "fr") == t("app.title", "zh") == "网格治理一张图"


def test_placeholders_are_filled_and_required() -> None:
    assert t("overview.as_of", "en", date="28 Nov 2026") == "As of 28 Nov 2026"
    with pytest.raises(KeyError):
        t("overview.as_of", "en")


def test_every_key_used_in_the_dashboard_exists() -> None:
    """Literal keys in the code are what t() will be asked for; a missing one fails here."""
    sources = [p.read_text(encoding="utf-8") for p in DASHBOARD.rglob("*.py")]
    literals = {key for text in sources for key in LITERAL_KEY.findall(text)}
    prefixes = {prefix for text in sources for prefix in PREFIX_KEY.findall(text)}
    assert literals and prefixes
    assert literals - set(CATALOGUES["zh"]) == set()
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in CATALOGUES["zh"]), prefix


def test_language_names_are_endonyms() -> None:
    assert dict(LANGUAGE_NAMES) == {"zh": "中文", "en": "English"}


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("en", "en"), ("EN", "en"), (" zh ", "zh"), (["en", "zh"], "en"), ("fr", "zh"), (None, "zh")],
)
def test_resolve_language(requested: object, expected: str) -> None:
    assert resolve_language(requested) == expected


def test_resolve_language_uses_the_given_default() -> None:
    assert resolve_language(None, "en") == "en"
    assert resolve_language("fr", "en") == "en"
    assert resolve_language(None, "xx") == "zh"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (1234567, "1,234,567"),
        (np.int64(12345), "12,345"),
        (1234.4, "1,234"),
        (float("nan"), MISSING),
        (None, MISSING),
        ("12", MISSING),
    ],
)
def test_format_number(lang: str, value: object, expected: str) -> None:
    assert format_number(value, lang) == expected


def test_format_number_with_decimals() -> None:
    assert format_number(1234.567, "en", decimals=1) == "1,234.6"
    assert format_number(5, "zh", decimals=2) == "5.00"


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (dt.date(2026, 11, 28), "2026年11月28日", "28 Nov 2026"),
        (dt.date(2027, 1, 5), "2027年1月5日", "5 Jan 2027"),
        (dt.datetime(2026, 9, 3, 12), "2026年9月3日", "3 Sep 2026"),
    ],
)
def test_format_date(value: dt.date, zh: str, en: str) -> None:
    assert format_date(value, "zh") == zh
    assert format_date(value, "en") == en
    assert format_date(value, "fr") == zh


def test_format_date_shows_aware_times_in_china() -> None:
    late_utc = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)  # 04:00 on the 28th in China
    assert format_date(late_utc, "en") == "28 Nov 2026"
    assert format_date(None, "zh") == MISSING


def test_contains_cjk() -> None:
    assert contains_cjk("水泊街道")
    assert contains_cjk("a，b")
    assert not contains_cjk("Grid cells — 1,234 · 28 Nov 2026…")
