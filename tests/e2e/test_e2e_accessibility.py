"""Accessibility of the main pages in Chromium: language, labels, names, contrast, keyboard.

Not a full WCAG audit: the checks that catch the usual regressions. Contrast is
computed (WCAG 2.x relative luminance) from the colours the browser actually uses,
walking up to the first opaque background.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from console_world import World
from e2e_shots import shot
from playwright.sync_api import Page, expect

_UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120))"""

_UNNAMED_GRAPHICS = """() => Array.from(document.querySelectorAll('svg, img'))
  .filter(e => {
    if (e.tagName.toLowerCase() === 'img') { return !e.getAttribute('alt'); }
    const ids = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const named = ids.length && ids.every(i => document.getElementById(i)
                                               && document.getElementById(i).textContent.trim());
    return !(e.getAttribute('role') === 'img' && (named || e.getAttribute('aria-label')));
  }).map(e => e.outerHTML.slice(0, 80))"""

_COLOURS = """(sel) => Array.from(document.querySelectorAll(sel))
  .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed').map(e => {
  let bg = 'rgba(0, 0, 0, 0)', n = e;
  while (n && n.nodeType === 1) {
    const c = getComputedStyle(n).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') { bg = c; break; }
    n = n.parentElement;
  }
  if (bg === 'rgba(0, 0, 0, 0)') { bg = 'rgb(255, 255, 255)'; }
  return [getComputedStyle(e).color, bg, e.textContent.trim().slice(0, 30)];
})"""

TEXT = "h1, h2, p, td, th, dt, dd, li, label, a, button, legend, .banner, caption, summary"


def _rgb(css: str) -> tuple[float, float, float]:
    nums = re.findall(r"[\d.]+", css)
    r, g, b = (float(x) for x in nums[:3])
    return r, g, b


def _luminance(rgb: tuple[float, float, float]) -> float:
    def chan(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (chan(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(_rgb(fg)), _luminance(_rgb(bg))), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_contrast_formula() -> None:
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(119, 119, 119)", "rgb(255, 255, 255)") < 4.5


def _check_page(page: Page, name: str) -> None:
    lang = page.locator("html").get_attribute("lang")
    assert lang in ("fr", "ar", "en"), name
    assert page.title().strip(), name
    assert page.evaluate(_UNLABELLED) == [], name
    assert page.evaluate(_UNNAMED_GRAPHICS) == [], name
    colours = [c for c in page.evaluate(_COLOURS, TEXT) if c[2]]
    assert len(colours) >= 5, name
    low = [(fg, bg, text, round(contrast(fg, bg), 2)) for fg, bg, text in colours
           if contrast(fg, bg) < 4.5]  # fmt: skip
    assert low == [], (name, low)


def test_main_pages_have_lang_labels_names_and_contrast(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    page.goto(f"{base_url}/ui/login")
    _check_page(page, "login")
    sign_in("ana")
    for path in ("inbox", f"object/{world.report['id']}", "compose", "map", "agreements",
                 "consents", "correlations", "extract", f"graph/{world.report['id']}"):  # fmt: skip
        page.goto(f"{base_url}/ui/{path}")
        page.wait_for_load_state("networkidle")
        _check_page(page, path)


def test_auditor_and_arabic_pages(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    sign_in("aude")
    page.goto(f"{base_url}/ui/audit")
    _check_page(page, "audit")
    page.locator("#logout").click()
    sign_in("omar")
    for path in ("inbox", f"object/{world.report['id']}", "compose", "map"):
        page.goto(f"{base_url}/ui/{path}")
        page.wait_for_load_state("networkidle")
        _check_page(page, f"ar:{path}")


def _tab_until(page: Page, selector: str, limit: int) -> list[str]:
    """Press Tab until ``selector`` has the focus; every stop must be visible."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """(sel) => { const e = document.activeElement; const r = e.getBoundingClientRect();
            return [e.matches(sel), e.id || e.tagName, r.width > 0 && r.height > 0,
                    getComputedStyle(e).outlineStyle]; }""",
            selector,
        )
        matched, ident, visible, outline = info
        stops.append(str(ident))
        assert visible, f"focus on an invisible element {ident}"
        assert outline != "none", f"no focus indicator on {ident}"
        if matched:
            return stops
    raise AssertionError(f"Tab never reached {selector}: {stops}")


def test_keyboard_reaches_the_main_controls(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    page.goto(f"{base_url}/ui/login")
    # autofocus applies once the page is rendered: wait for it (a loaded machine is slow)
    expect(page.locator("#username")).to_be_focused()
    stops = _tab_until(page, "#login-submit", 10)
    assert "password" in stops
    sign_in("ana")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    _tab_until(page, f'a[href="/ui/object/{world.report["id"]}"]', 40)
    page.goto(f"{base_url}/ui/compose")
    _tab_until(page, "#share", 80)
    page.goto(f"{base_url}/ui/map")
    _tab_until(page, "svg#map a", 40)
    shot(page, "map-keyboard-focus")
