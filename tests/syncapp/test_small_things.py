"""Small things a new merchant trips over: every sign-up error at once, "log in instead" as a link, a
favicon, the privacy notes as a real page, a styled confirmation, an edit row with an error that
still says Done, and settings forms that ask before unsaved edits are left."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from mappings.document import default_document
from tests.factories import UserFactory
from tests.mappings.test_views import mappings_post

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def test_sign_up_shows_every_error_at_once(client):
    response = client.post(
        reverse("signup"), {"company_name": "", "email": "anna@nordlys", "password": "123"}
    )
    errors = response.context["form"].errors
    assert set(errors) == {"company_name", "email", "password"}
    assert any("too short" in e for e in errors["password"])


def test_a_taken_e_mail_offers_log_in_as_a_link_with_the_other_errors(client):
    UserFactory(username="anna@nordlys.dk")
    response = client.post(
        reverse("signup"), {"company_name": "Nordlys", "email": "Anna@Nordlys.dk", "password": "password"}
    )
    html = response.content.decode()
    assert re.search(r'already exists: <a href="/login/">log in instead</a>', html)
    assert "This password is too common." in html  # in the same round, not the next one


def test_the_favicon_is_served_and_linked(client):
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("login")).content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert (ROOT / "static" / "favicon.svg").read_text().startswith("<svg")


def test_the_privacy_notes_are_a_page_saying_what_docs_privacy_md_says(client, settings):
    page = client.get(reverse("privacy")).content.decode()
    doc = (ROOT / "docs" / "privacy.md").read_text()
    for heading in re.findall(r"^#{1,2} (.+)$", doc, flags=re.MULTILINE):
        assert heading in page, heading
    for period in ("30 days", "13 months", "3 months", "7 days later"):
        assert period in doc and period in page, period
    settings.SYNC_RECORD_RETENTION_MONTHS = 6
    assert "removed after <strong>6 months</strong>" in client.get(reverse("privacy")).content.decode()


def test_the_account_page_links_the_privacy_notes_and_styles_its_confirmation(owner_client, tenant):
    html = owner_client.get(reverse("account", args=[tenant.slug])).content.decode()
    assert f'href="{reverse("privacy")}">privacy notes</a>' in html
    assert "docs/privacy.md" not in html
    assert 'class="confirm-box"' in html


def test_an_edit_row_sent_back_with_an_error_says_done(owner_client, tenant):
    document = default_document()
    data = mappings_post(document, city=("metadata", "", "keep"))  # a metadata key left empty
    response = owner_client.post(reverse("mappings:field_mappings", args=[tenant.slug]), data)
    html = response.content.decode()
    row = html[html.index('data-testid="mapping-row-city"') :]
    row = row[: row.index("</tr>")]
    assert 'aria-expanded="true" aria-label="Done with City"' in row and ">Done</button>" in row
    assert "data-dirty" in html  # leaving it unsaved asks first


@pytest.mark.parametrize("tab", ["matching", "number", "field_mappings"])
def test_every_settings_form_asks_before_unsaved_edits_are_left(owner_client, tenant, tab):
    html = owner_client.get(reverse(f"mappings:{tab}", args=[tenant.slug])).content.decode()
    assert "data-guard-unsaved" in html
    assert '<script src="/static/js/app.js" defer></script>' in html


def test_pages_carry_no_inline_script_or_style_for_a_strict_content_security_policy(owner_client, tenant):
    for name in ("dashboard", "sync_log", "import", "review", "account", "members"):
        html = owner_client.get(reverse(name, args=[tenant.slug])).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), name


def test_the_javascript_guards_forms_and_localises_dates():
    script = (ROOT / "static" / "js" / "app.js").read_text()
    assert "beforeunload" in script and "data-guard-unsaved" in script and "time[data-local]" in script
