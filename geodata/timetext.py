"""Dates and times as record files write them, read into aware UTC timestamps.

ISO 8601 with or without offset, 2026-11-28 14:30, 2026/11/28 14:30:00, 2026.11.28,
2026年11月28日 14时30分, 2026年11月28日下午2点半 (上午, 中午, 下午, 晚上 … with a 12-hour clock: see
period_hour), 20261128143000, 202611281430, 20261128 and Excel serial day numbers; a time
without offset is China time (Asia/Shanghai).
"""

from __future__ import annotations

import re

import pandas as pd

from .model import LOCAL_TZ

TZ_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIALS = (20_000, 80_000)  # 1954 … 2119: a plain number outside is not a date

_CHINESE_DATE = (
    (r"[年月/.]", "-"),
    (r"日", " "),
    (r"[时時點点]", ":"),
    (r"分", ":"),
    (r"秒", ""),
    (r"\s+", " "),
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
_WELL_FORMED = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?" + f"(?:{TZ_SUFFIX[:-1]})?$"
)
# A part of the day before a 12-hour clock hour: 2026年5月1日下午3点, 上午9点30分, 晚上8:15.
MORNING = ("凌晨", "早上", "早晨", "清晨", "上午")
NOON = ("中午",)
EVENING = ("下午", "午后", "傍晚", "晚上", "夜里", "夜间")
_PERIOD = re.compile(
    f"({'|'.join(MORNING + NOON + EVENING)})" + r"\s*(\d{1,2})\s*(?=[点點时時:：])"
)


def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Times as aware UTC timestamps (NaT where missing or unreadable) and, per value that
    could not be read, what is wrong with it (None elsewhere)."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    problems = pd.Series(None, index=values.index, dtype=object)
    present = values.dropna().astype(str)
    if present.empty:
        return out, problems
    parsed = _parse_iso(present)
    failed = present[parsed.isna()]
    if len(failed):
        normal = _normalise(failed)
        again = _parse_iso(normal)
        again = again.fillna(_excel_serials(failed))
        parsed.loc[failed.index] = again
        still = again.isna()
        if still.any():
            problems.loc[still[still].index] = [
                _time_problem(text, norm)
                for text, norm in zip(failed[still].tolist(), normal[still].tolist(), strict=True)
            ]
    out.loc[parsed.index] = parsed
    return out, problems


def _parse_iso(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    aware = text.str.contains(TZ_SUFFIX, regex=True)
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], format="ISO8601", errors="coerce", utc=True)
    naive = text[~aware]
    if len(naive):
        local = pd.to_datetime(naive, format="ISO8601", errors="coerce")
        out[~aware] = local.dt.tz_localize(LOCAL_TZ).dt.tz_convert("UTC")
    return out


def _normalise(text: pd.Series) -> pd.Series:
    """Chinese and compact forms rewritten as ISO text (digits padded to two places)."""
    out = text.str.strip()
    out = out.str.replace(r"([点點时時])半", r"\g<1>30分", regex=True)
    out = out.str.replace(_PERIOD, _period_iso, regex=True)
    out = out.str.replace(_COMPACT, _compact_iso, regex=True)
    for pattern, repl in _CHINESE_DATE:
        out = out.str.replace(pattern, repl, regex=True)
    out = out.str.strip().str.rstrip(":-")
    out = out.str.replace(r"(?<![\d.])(\d)(?!\d)", r"0\1", regex=True)
    return out.str.replace(r"^(\d{4}-\d{2}-\d{2})-", r"\1", regex=True)


def period_hour(part: str, hour: int) -> int | str:
    """The 24-hour clock hour of `hour` said with a part of the day, or why there is none.

    凌晨/早上/早晨/清晨/上午 h: h for 0–11; 凌晨12点 is 0:00, 上午12点 is noon (as it is
    said). 中午: 11, 12 as they are, 1 and 2 are 13:00 and 14:00. 下午/午后/傍晚/晚上/夜里/
    夜间 h: h + 12 for 1–11 (下午3点 = 15:00, 晚上8点 = 20:00), 13–23 as they are; 下午12点
    is noon; 晚上12点 is refused (midnight — which day's?)."""
    if part in MORNING:
        if hour == 12:
            return 0 if part == "凌晨" else 12
        return hour if hour < 12 else f"{part}{hour}点 is not a morning hour (0–12)"
    if part in NOON:
        if hour in (11, 12):
            return hour
        return hour + 12 if hour in (1, 2) else f"{part}{hour}点 is not a noon hour (11–2)"
    if 1 <= hour <= 11 or 13 <= hour <= 23:
        return hour + 12 if hour < 12 else hour
    if hour == 12 and part in ("下午", "午后"):
        return 12
    if hour == 12:
        return f"{part}12点 is ambiguous (midnight of which day?); write 0点 of the next day"
    return f"{part}{hour}点 is not an afternoon or evening hour (1–11)"


def _period_iso(m: re.Match) -> str:
    hour = period_hour(m.group(1), int(m.group(2)))
    return f"{hour:02d}" if isinstance(hour, int) else m.group(0)


def _compact_iso(m: re.Match) -> str:
    year, month, day, hour, minute, second = m.groups()
    text = f"{year}-{month}-{day}"
    if hour is not None:
        text += f" {hour}:{minute}:{second or '00'}"
    return text


def _excel_serials(text: pd.Series) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    ok = number.between(*EXCEL_SERIALS)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if ok.any():
        local = EXCEL_EPOCH + pd.to_timedelta(number[ok].round(6), unit="D")
        out[ok] = local.dt.round("s").dt.tz_localize(LOCAL_TZ).dt.tz_convert("UTC")
    return out


def _time_problem(original: str, normal: str) -> str:
    period = _PERIOD.search(original.strip())
    if period is not None:
        hour = period_hour(period.group(1), int(period.group(2)))
        if isinstance(hour, str):
            return f"is not a time of day: {hour}"
    if _WELL_FORMED.match(normal):
        return "is not a real date or time (no such day, hour or minute)"
    return "is not a date and time in a known form (e.g. 2026-11-28 14:30)"
