"""The avatar form's first paint with its picture tiles, in headless Chromium (target ≤ 1 s, tiles cached).

    python bench/form_speed.py [--repeat 15]

Serves the site with Django's own server on a throwaway database, loads the form once so the server has
rendered the tiles (its render cache), then loads it --repeat times, each in a fresh browser context (an
empty browser cache, as a new visitor), on a desktop (1280×900) and a phone (375×812) screen. Prints the
medians of first contentful paint and of "tiles painted": every tile image in the first screen loaded,
counted from the start of navigation.
"""

import argparse
import statistics

from common import chromium, running_site

FORM = "/avatars/new/?gender=female"
SCREENS = {
    "desktop 1280×900": {"viewport": {"width": 1280, "height": 900}},
    "phone 375×812": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
TILES_IN_VIEW = """() => [...document.querySelectorAll('.tiles img')].filter(image => {
  const box = image.getBoundingClientRect(); return box.bottom > 0 && box.top < innerHeight; })"""


def measure(browser, url: str, screen: dict) -> tuple[float, float, int]:
    context = browser.new_context(**screen)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    # Checked every animation frame; the time is read when seen (a little after the fact, never before).
    page.wait_for_function(
        f"() => ({TILES_IN_VIEW})().length > 0 && ({TILES_IN_VIEW})().every(i => i.complete && i.naturalWidth)",
        polling="raf",
    )
    tiles_ms = page.evaluate("performance.now()")
    paint_ms = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    count = page.evaluate(f"({TILES_IN_VIEW})().length")
    context.close()
    return paint_ms, tiles_ms, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        default=0,
        help="serve with gunicorn (as make serve does) instead of Django's server",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_site(workers=args.gunicorn_workers) as base, sync_playwright() as playwright:
        browser = chromium(playwright)
        for name, screen in SCREENS.items():
            for _ in range(1 + 3 * args.gunicorn_workers):  # each server process renders and caches the tiles
                measure(browser, base + FORM, screen)
            runs = [measure(browser, base + FORM, screen) for _ in range(args.repeat)]
            paint, tiles = statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs)
            print(
                f"{name}: first contentful paint median {paint:.0f} ms; {runs[0][2]} tiles in the first screen "
                f"painted, median {tiles:.0f} ms (target ≤ 1000 ms)"
            )
        browser.close()


if __name__ == "__main__":
    main()
