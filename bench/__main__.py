"""`make bench`: run every benchmark on the city-scale demo and print and save the results."""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback

from geodata.model import LOCAL_TZ

from . import (
    access_bench,
    areas_bench,
    casework_bench,
    import_bench,
    map_bench,
    mask_bench,
    page_bench,
    pg_bench,
    phone_bench,
    region_bench,
    route_bench,
    store_metrics,
)
from .common import OUT, Result, ensure_city

SUITES = (
    store_metrics,
    map_bench,
    access_bench,
    page_bench,
    phone_bench,
    route_bench,
    mask_bench,
    import_bench,
    areas_bench,
    casework_bench,
    pg_bench,
    region_bench,
)


def _row(r: Result) -> str:
    ratio = f"{r.ratio:,.1f}×" if r.ratio else ""
    baseline = f"{r.baseline:,.1f}" if r.baseline is not None else ""
    budget = "" if r.budget is None else ("ok" if r.within_budget else "OVER") + f" ≤ {r.budget:g}"
    places = 2 if r.unit == "×" else 1  # a ratio's budget has two places (0.7): so does it
    value = f"{r.value:,.{places}f} {r.unit}"
    return f"| {r.name} | {value} | {baseline} | {ratio} | {budget} | {r.note} |"


def main() -> None:
    as_of = dt.datetime.now(LOCAL_TZ).date()
    city, build = ensure_city(as_of)
    results: list[Result] = [build] if build else []
    from geodata.backends import open_store

    with open_store(city, readonly=True) as store:
        as_of = dt.date.fromisoformat(store.meta()["as_of"])
    failed = []
    for suite in SUITES:
        # Each suite's rows as soon as it ends, and the others still run when one fails: a
        # late failure (the region build, say) must not throw away half an hour of results.
        try:
            rows = suite.run(city, as_of)
        except Exception:
            failed.append(suite.__name__)
            traceback.print_exc()
            continue
        results += rows
        for r in rows:
            print(_row(r), flush=True)
    print("| benchmark | value | naive baseline | ratio | budget | note |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(_row(r))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(
        json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2)
    )
    if failed:
        sys.exit(f"benchmarks that failed (see above): {', '.join(failed)}")


if __name__ == "__main__":
    main()
