"""The map app in a real browser: time to the first map, and re-solve and redraw times.

    python benchmarks/app_browser.py [--rounds 3]

Serves the app as a planner starts it (``coverage-plan app --headless`` on a
loopback port) and drives the system's Chromium with Playwright, with the
helpers of ``tests/app/test_app_browser.py`` (the map's frame has a height,
features are drawn, no page error). Each round opens a fresh page of the same
server: the time to the first map (the server's caches stay warm after round 1;
round 1 also pays for the server's imports and the demo's first build), then the
"sites to open" slider to two counts no round has solved yet (13, 14; then 15,
16; ...) and back to 12 (a plan already solved), each timed to the redrawn map. Prints medians and the load
average before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _helpers():  # the browser tests' own helpers, so the benchmark waits for what the tests assert
    spec = importlib.util.spec_from_file_location(
        "app_browser_helpers", ROOT / "tests/app/test_app_browser.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["app_browser_helpers"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    h = _helpers()
    load_before = os.getloadavg()
    process, url, _log = h._start(Path(tempfile.mkdtemp()), {})
    first, new_solve, seen = [], [], []
    try:
        with sync_playwright() as p:
            browser = h.Browser(p, url)
            try:
                for round_ in range(args.rounds):
                    page = browser.new_page()
                    start = time.perf_counter()
                    page.goto(url, timeout=120_000)
                    expect(h.metric(page, h.OPEN_SITES)).to_have_text("12", timeout=120_000)
                    h.assert_map_drawn(browser, page)
                    first.append(time.perf_counter() - start)
                    fresh = (13 + 2 * round_, 14 + 2 * round_)  # counts no round has solved yet
                    for count, bucket in ((fresh[0], new_solve), (fresh[1], new_solve), (12, seen)):
                        start = time.perf_counter()
                        h.set_sites(page, h.SITES_TO_OPEN, count)
                        expect(h.metric(page, h.OPEN_SITES)).to_have_text(str(count), timeout=120_000)
                        h.assert_map_drawn(browser, page)
                        bucket.append(time.perf_counter() - start)
                    page.close()
            finally:
                browser.close()
    finally:
        h._stop(process)
    load_after = os.getloadavg()

    def line(name: str, values: list[float]) -> str:
        shown = ", ".join(f"{v:.1f}" for v in values)
        return f"{name}: median {statistics.median(values):.1f} s ({shown})"

    print(line("first map, fresh page (round 1: fresh server)", first))
    print(line("slider to a count not solved yet (a new solve), to the redrawn map", new_solve))
    print(line("back to 12, a plan already solved, to the redrawn map", seen))
    print(
        "load average (1, 5, 15 min) before "
        + " ".join(f"{v:.1f}" for v in load_before)
        + ", after "
        + " ".join(f"{v:.1f}" for v in load_after)
    )


if __name__ == "__main__":
    main()
