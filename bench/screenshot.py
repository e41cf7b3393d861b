"""`python -m bench.screenshot OUT.png`: the map page on the street demo, 运河花园 selected."""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from dashboard import ids
from geodata.backends import open_store
from geodata.demo import build_demo
from geodata.model import LOCAL_TZ, Level
from tests.browser.pageutil import served, wait_for_map

SEED = 7  # the seed whose demo street has 运河花园 (the tests use it too)
COMPOUND = "运河花园"
SIZE = {"width": 1600, "height": 1000}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def shoot(url: str, out: Path) -> None:
    """Open `url` in Chromium, wait for the map and the panel, save a screenshot."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=SIZE)
        page.goto(url)
        wait_for_map(page, timeout=60_000)
        page.locator(f"#{ids.PANEL}", has_text=COMPOUND).wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="PNG file to write")
    out = parser.parse_args().out
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "street.gpkg"
        today = dt.datetime.now(LOCAL_TZ).date()
        with open_store(path, create=True) as store:
            store.write_city(build_demo("street", seed=SEED, as_of=today))
        with open_store(path, readonly=True) as store, served(store, quiet=True) as base:
            compounds = store.areas(Level.COMPOUND).set_index("name")
            code = compounds.at[COMPOUND, "code"]
            street = compounds.at[COMPOUND, "street_code"]
            shoot(f"{base}/?street={street}&area={code}", out)
    print(out)


if __name__ == "__main__":
    main()
