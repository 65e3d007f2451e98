"""An officer meets a look-alike agreement in Chromium (issue #12, attack 8).

MR posts a new agreement under the same name as the one in force, with a higher
ceiling for DZ and a wider scope, signed by MR only. The list flags it; its page shows
every term and what differs from the agreement in force; the sign form is bound to the
digest of the version shown, and a tampered digest signs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from console_world import LEVELS, TYPES, World
from e2e_shots import shot
from playwright.sync_api import Page, expect

from liaison.agreements import sign, state
from liaison.cli.agreement import propose_from_spec
from liaison.service import documents


def test_a_look_alike_agreement_shows_its_terms_and_warnings(
    page: Page, base_url: str, world: World, sign_in: Callable[[str], Page]
) -> None:
    spec = {
        "name": "MR-DZ exchange arrangement",  # the name of the agreement in force
        "types": [*TYPES, "malware"],
        "topics": ["terrorism", "organised-crime"],
        "regions": ["DZ", "MR", "ML", "NE"],
        "max_classification": LEVELS["MR"][4],
        "retention_days": 3650,
        "valid_days": 365,
        "partner": [
            {
                "party": "DZ",
                "levels": LEVELS["DZ"],
                "max_classification": LEVELS["DZ"][4],
                "equivalence": dict(zip(LEVELS["MR"], LEVELS["DZ"], strict=True)),
            }
        ],
        "contact": [{"party": "self", "name": "Liaison officer MR"}],
    }
    fake = sign(propose_from_spec(world.mr, spec), world.mr.identity_id, world.mr.key)
    documents.put_agreement(world.dz, fake.to_stix())
    sign_in("omar")
    page.goto(f"{base_url}/ui/agreements")
    row = page.locator(f'a[href="/ui/agreements/{fake.id}"]').first
    expect(row).to_be_visible()
    expect(page.locator("form[action$='/sign']")).to_have_count(0)  # no signing from the list
    row.click()
    page.wait_for_url(f"{base_url}/ui/agreements/{fake.id}")
    warnings = page.locator("#agreement-warnings")
    expect(warnings).to_contain_text("Same name as agreement")
    expect(warnings).to_contain_text(f"Raises the ceiling for DZ from {LEVELS['DZ'][2]}")
    expect(warnings).to_contain_text("malware")
    expect(page.locator("#agreement-parties")).to_contain_text(LEVELS["DZ"][4])
    expect(page.locator("#agreement-terms")).to_contain_text("3650")
    expect(page.locator("#agreement-equivalence tbody tr")).to_have_count(len(LEVELS["DZ"]))
    shot(page, "agreement-look-alike-ar")
    # A tampered digest (as if the document changed after it was shown): nothing signed.
    page.evaluate("document.querySelector('#sign-form input[name=digest]').value = '0'.repeat(64)")
    page.locator("#sign-form button").click()
    expect(page.locator(".error")).to_be_visible()
    assert state(documents.get_agreement(world.dz, fake.id)) == "proposed"
