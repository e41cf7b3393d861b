"""Masking residents' personal data: a corpus of case texts, the field maskers, properties, demo."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.store import Store
from layers.mask import mask_name, mask_phone, mask_text

CORPUS = Path(__file__).parent / "data" / "mask_corpus.tsv"
MOBILE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
ID_18 = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
TO_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")


def corpus() -> list[pytest.param]:
    cases = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if line and not line.startswith("#"):
            text, expected = line.split("\t")
            cases.append(pytest.param(text, expected, id=f"line{number}"))
    return cases


# --- the corpus ----------------------------------------------------------------------------------
def test_the_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 80


@pytest.mark.parametrize(("text", "expected"), corpus())
def test_corpus_line(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_text(expected) == expected  # idempotent


# --- field maskers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "张*"),
        ("李建国", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # two characters: 欧 the surname, 阳 the given name
        ("张先生", "张**"),
        ("张", "张"),  # a bare surname has nothing more to hide
        (" 王芳 ", "王*"),
        ("John Smith", "J*** *****"),
        ("Li", "L*"),
        ("", ""),
        ("张*", "张*"),
    ],
)
def test_mask_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected
    assert mask_name(expected) == expected.strip()


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138.1234.5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("0537-7321001", "0537-****001"),
        ("010-87654321", "010-****4321"),
        ("7321001", "****001"),
        ("0086-537-7321001", "008*******1001"),  # no pattern knows it: digits hidden anyway
        ("", ""),
        ("138****5678", "138****5678"),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


def test_ordinary_text_is_returned_unchanged() -> None:
    for text in ("", "无", "楼道堆放杂物", "110", "12345", "2026-11-28 14:30", "3000元"):
        assert mask_text(text) == text


# --- properties ----------------------------------------------------------------------------------
WORDS = (
    "居民反映",
    "联系电话",
    "手机",
    "王府井",
    "高楼",
    "张贴",
    "李子",
    "马路",
    "张先生",
    "业主",
    "号楼",
    "单元",
    "室",
    "共",
    "户",
    "元",
    "，",
    "。",
    " ",
    "-",
    "：",
    "身份证",
    "鲁H",
    "我叫",
    "某",
)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = (
        "1" + str(draw(st.integers(3, 9))) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    number = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    return (
        number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if draw(st.booleans())
        else number
    )


def _checksum(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = str(draw(st.integers(1, 8))) + draw(st.text("0123456789", min_size=5, max_size=5))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2026, 11, 28))).strftime("%Y%m%d")
    body = region + born + draw(st.text("0123456789", min_size=3, max_size=3))
    return body + _checksum(body)


texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text("0123456789", min_size=1, max_size=12), mobiles()),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_no_mobile_number_survives(text: str) -> None:
    assert not MOBILE.search(mask_text(text).translate(TO_ASCII))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_masking_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


@settings(max_examples=400, deadline=None)
@given(texts)
def test_length_changes_only_by_separators_dropped_from_mobiles(text: str) -> None:
    # Every other rule replaces characters one for one; a mobile written 138 1234 5678
    # loses its two separators.
    masked = mask_text(text)
    mobiles_masked = len(re.findall(r"\d{3}\*{4}\d{4}", masked))
    assert len(text) - 2 * mobiles_masked <= len(masked) <= len(text)


@settings(max_examples=400, deadline=None)
@given(
    id_numbers(),
    st.sampled_from(["身份证号", "居民", "", "，证件", "：", " "]),
    st.sampled_from(["", "，", "。申请低保", " ", "号"]),
    st.booleans(),
)
def test_valid_id_numbers_never_survive(number: str, before: str, after: str, lower: bool) -> None:
    if lower:
        number = number.lower()
    masked = mask_text(before + number + after)
    assert number not in masked
    assert not ID_18.search(masked)
    assert masked.startswith(before + number[:6] + "********")


@settings(max_examples=200, deadline=None)
@given(id_numbers(), st.sampled_from([" ", "-", "\u3000"]))
def test_id_numbers_written_in_groups_never_survive(number: str, sep: str) -> None:
    grouped = sep.join((number[:6], number[6:10], number[10:14], number[14:]))
    masked = mask_text(f"身份证号{grouped}，")
    assert masked == f"身份证号{sep.join((number[:6], '****', '****', number[14:]))}，"


@settings(max_examples=200, deadline=None)
@given(
    mobiles().map(lambda m: re.sub(r"[^0-9]", "", m.translate(TO_ASCII))),
    st.sampled_from("一幺"),
    st.sampled_from("〇零○"),
)
def test_mobiles_in_chinese_numerals_keep_3_and_4_characters(
    digits: str, one: str, zero: str
) -> None:
    written = digits.translate(str.maketrans("0123456789", zero + one + "二三四五六七八九"))
    masked = mask_text(f"手机{written}，")
    assert masked == f"手机{written[:3]}****{written[-4:]}，"
    assert mask_text(masked) == masked


# --- the demo ------------------------------------------------------------------------------------
def test_no_mobile_or_id_number_in_the_demo_after_masking(street_store: Store) -> None:
    cases = street_store.cases()
    assert len(cases) > 100
    described = cases["description"].dropna()
    assert described.str.contains(MOBILE).any()  # the demo does write phones into texts
    fields = [
        *(mask_text(text) for text in described),
        *(mask_name(name) for name in cases["reporter_name"].dropna()),
        *(mask_phone(phone) for phone in cases["reporter_phone"].dropna()),
    ]
    leaks = [f for f in fields if MOBILE.search(f) or ID_18.search(f)]
    assert not leaks, leaks[:5]
    titled = [text for text in described if re.search(r"[\u4e00-\u9fff](先生|女士)", text)]
    assert titled and not any(re.search(r"(先生|女士)", mask_text(text)) for text in titled)
