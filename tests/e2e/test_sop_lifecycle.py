"""The SOP lifecycle in a real headless Chromium against the live admin: an editor drafts a change,
two reviewers sign off, a release manager publishes, and the diff shows the change."""

import os
import re
from pathlib import Path

import pytest

from aftersales.models import SopVersion

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import publish_new_version  # noqa: E402

pytest_plugins = ["tests.aftersales.sop_fixtures"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.usefixtures("plain_static_storage"),
]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop runs get their own connection (asgiref keys
        # connections by context then); close it here or it outlives the test database.
        connections.close_all()


def _login(browser, live_server, username):
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form#login-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/admin/", page.locator("body").inner_text()[:500]
    return page


def _open_version(page, live_server, version, action=""):
    page.goto(f"{live_server.url}/admin/aftersales/sopversion/{version.pk}/{action}")


@pytest.mark.django_db(transaction=True)
def test_sop_lifecycle__editor_drafts_two_reviewers_approve_release_publishes__diff_shows_change(
    browser,
    live_server,
    fast_passwords,
    return_sop,
    editor,
    reviewer_a,
    reviewer_b,
    publisher,
):
    # given v1 of the return SOP is published, and the four people can log in
    first = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    for user in (editor, reviewer_a, reviewer_b, publisher):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    # when the editor creates a draft from v1 and changes clause RET-2 inline
    page = _login(browser, live_server, "eddie")
    _open_version(page, live_server, first, "change/")
    page.get_by_role("link", name="Edit as new draft", exact=True).click()
    page.fill("textarea[name=comment]", "Refunds may go to a gift card.")
    page.locator("#sop-action-form button[name=confirm]").click()
    draft = SopVersion.objects.get(sop=return_sop, number=2)
    page.wait_for_url(re.compile(rf".*/sopversion/{draft.pk}/change/$"))
    page.fill("textarea[name=clauses-1-text]", "To the original method or an existing gift card.")
    page.locator("button[name=_continue]").click()
    page.wait_for_url(re.compile(rf".*/sopversion/{draft.pk}/change/$"))
    page.get_by_role("link", name="Submit for review", exact=True).click()
    page.locator("#sop-action-form button[name=confirm]").click()
    page.wait_for_url(re.compile(rf".*/sopversion/{draft.pk}/change/$"))

    # and two reviewers find it in their queue and approve it
    for username in ("rita", "lee"):
        page = _login(browser, live_server, username)
        page.goto(f"{live_server.url}/admin/aftersales/sopversion/?queue=mine")
        page.locator(f"#result_list a[href*='/sopversion/{draft.pk}/change/']").first.click()
        page.get_by_role("link", name="Review", exact=True).click()
        page.check("input[name=decision][value=approved]")
        page.fill("textarea[name=comment]", f"Approved by {username}.")
        page.locator("#sop-review-form button[name=confirm]").click()
        page.wait_for_url(re.compile(rf".*/sopversion/{draft.pk}/change/$"))

    # and the release manager publishes it
    page = _login(browser, live_server, "ravi")
    _open_version(page, live_server, draft, "change/")
    page.get_by_role("link", name="Publish", exact=True).click()
    page.locator("#sop-action-form button[name=confirm]").click()
    page.wait_for_url(re.compile(rf".*/sopversion/{draft.pk}/change/$"))

    # then v2 is published, v1 retired, and the diff page highlights the changed clause
    draft.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, draft.status) == ("retired", "published")
    assert sorted(draft.sign_offs.values_list("reviewer__username", flat=True)) == ["lee", "rita"]
    page.get_by_role("link", name="Diff", exact=True).click()
    row = page.locator("table.sop-diff tr[data-key='RET-2']")
    assert row.get_attribute("class") == "changed"
    assert row.locator("ins").inner_text() == "method or an existing gift card."
    assert row.locator("del").inner_text() == "method."
    assert page.locator("table.sop-diff").get_attribute("data-changes") == "1"
