"""`python -m bench.screenshot OUT.png`: the map page on the street demo, 运河花园 selected."""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from dashboard import ids
from dashboard.sessions import COOKIE
from geodata.accounts import Grant
from geodata.backends import open_store
from geodata.demo import build_demo
from geodata.model import LOCAL_TZ, Level
from geodata.store import Store
from tests.browser.pageutil import served, wait_for_map

from .common import signed_session

SEED = 7  # the seed whose demo street has 运河花园 (the tests use it too)
COMPOUND = "运河花园"
SIZE = {"width": 1600, "height": 1000}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def signed_in_session(store: Store) -> str:
    """A session of a street supervisor of the demo, made for the picture."""
    street = str(store.areas(Level.STREET)["code"].iloc[0])
    return signed_session(store, "wangfang", Grant("street", street), "王芳")


def shoot(url: str, out: Path, secret: str) -> None:
    """Open `url` in Chromium with the session `secret`, wait for the map and the panel,
    save a screenshot."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SIZE)
        context.add_cookies([{"name": COOKIE, "value": secret, "url": url}])
        page = context.new_page()
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
        with open_store(path) as store, served(store, quiet=True) as base:
            compounds = store.areas(Level.COMPOUND).set_index("name")
            code = compounds.at[COMPOUND, "code"]
            street = compounds.at[COMPOUND, "street_code"]
            shoot(f"{base}/?street={street}&area={code}", out, signed_in_session(store))
    print(out)


if __name__ == "__main__":
    main()
