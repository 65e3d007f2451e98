"""The console in headless Chromium: login, compose with live preview, banners, RTL, map."""

from __future__ import annotations

import re
from collections.abc import Callable

from console_world import World
from e2e_shots import shot
from playwright.sync_api import Page, expect


def test_login_then_logout(page: Page, base_url: str, sign_in: Callable[[str], Page]) -> None:
    page.goto(f"{base_url}/ui/login")
    page.locator("#username").fill("ana")
    page.locator("#password").fill("wrong password here")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_be_visible()
    shot(page, "login-failed")
    sign_in("ana")
    expect(page.locator("h1")).to_have_text("Renseignement reçu")
    expect(page.locator("#inbox tbody tr").first).to_have_class("unread")
    shot(page, "inbox-fr")
    page.locator("#logout").click()
    page.wait_for_url(f"{base_url}/ui/login")
    page.goto(f"{base_url}/ui/inbox")
    assert page.url.endswith("/ui/login")


def test_compose_and_share_with_live_release_preview(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    sign_in("ana")
    page.goto(f"{base_url}/ui/compose")
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-state", "ready")
    mr = page.locator('#preview li[data-party="MR"]')
    xx = page.locator('#preview li[data-party="XX"]')
    expect(mr).to_have_class("deny")  # nothing marked releasable yet
    page.locator("#name").fill("Convoi signalé au nord de Kidal")
    page.locator("#description").fill("Quatre véhicules, carburant et armes légères.")
    page.locator("#classification").select_option("DIFFUSION RESTREINTE")
    page.locator("#topics").fill("terrorism")
    page.locator("#regions").fill("ML")
    page.get_by_label("MR", exact=True).check()
    page.get_by_label("XX", exact=True).check()
    page.locator("#tlp").select_option("green")
    expect(mr).to_have_class("allow")
    expect(mr).to_contain_text("MR-DZ exchange arrangement")
    expect(xx).to_have_class("deny")
    expect(xx).to_contain_text("no agreement in force with XX")
    expect(page.locator("#preview-banner")).to_contain_text("DIFFUSION RESTREINTE (DZ)")
    shot(page, "compose-preview-allow")
    page.locator("#regions").fill("FR")  # outside the agreement's regions
    expect(mr).to_have_class("deny")
    shot(page, "compose-preview-deny")
    page.locator("#regions").fill("ML")
    expect(mr).to_have_class("allow")
    page.locator("#share").click()
    page.wait_for_url(re.compile(r".*/ui/object/report--.*"))
    expect(page.locator('.banner[data-position="top"]')).to_contain_text(
        "DIFFUSION RESTREINTE (DZ)"
    )
    expect(page.locator("#signature-status")).to_contain_text("✔")
    shot(page, "composed-report")
    oid = page.url.rsplit("/", 1)[1]
    assert world.dz.store.latest_by_ids([oid])


def test_received_report_banner_top_and_bottom(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    sign_in("ana")
    page.locator(f'a[href="/ui/object/{world.report["id"]}"]').click()
    top = page.locator('.banner[data-position="top"]')
    bottom = page.locator('.banner[data-position="bottom"]')
    expect(top).to_have_text(re.compile(r"^DIFFUSION RESTREINTE \(MR\) // REL TO DZ, MR"))
    assert top.inner_text() == bottom.inner_text()
    top_box, bottom_box = top.bounding_box(), bottom.bounding_box()
    main_box = page.locator("main").bounding_box()
    assert top_box and bottom_box and main_box
    assert top_box["y"] == 0
    assert bottom_box["y"] >= main_box["y"] + main_box["height"] - 1
    expect(page.locator("#grading")).to_contain_text("B2")
    expect(page.locator("#provenance")).to_contain_text("MR")
    expect(page.locator("#signature-status")).to_contain_text("MR")
    shot(page, "received-report")


def test_arabic_right_to_left_layout(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    sign_in("omar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    links = page.locator("header nav a")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    assert first and last and first["x"] > last["x"]  # the menu runs right to left
    cell = page.locator("#inbox thead th").first.bounding_box()
    assert cell and cell["x"] > 640  # the first column is on the right
    shot(page, "inbox-ar")
    page.goto(f"{base_url}/ui/object/{world.report['id']}")
    expect(page.locator("h2#h-markings")).to_have_text("العلامات")
    shot(page, "report-ar")


def test_map_shows_located_objects(
    page: Page, base_url: str, sign_in: Callable[[str], Page]
) -> None:
    sign_in("ana")
    page.goto(f"{base_url}/ui/map")
    svg = page.locator("svg#map")
    expect(svg).to_be_visible()
    assert page.locator("svg#map path[data-country]").count() >= 20
    points = page.locator("svg#map circle.point")
    assert points.count() >= 2
    mali = page.locator('svg#map path[data-country="ML"]').bounding_box()
    khalil = page.locator("svg#map a[aria-label='In Khalil'] circle").bounding_box()
    assert mali and khalil
    cx, cy = khalil["x"] + khalil["width"] / 2, khalil["y"] + khalil["height"] / 2
    assert mali["x"] <= cx <= mali["x"] + mali["width"]
    assert mali["y"] <= cy <= mali["y"] + mali["height"]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    assert all(u.startswith(base_url) for u in requests), requests  # nothing off-site
    shot(page, "map")
