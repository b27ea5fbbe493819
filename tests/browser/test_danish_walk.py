"""A Danish merchant in Chromium (locale da-DK, so Accept-Language asks for Danish): sign-up, the
settings tabs, a dry run and the sync log read in Danish, with no English left outside Stripe's own
field names; the menu switches to English and back.

"No English left" is checked two ways on each page's visible text: no sentence of our English
catalogue appears in it (a string someone forgot to translate or to mark), and no English-only
function word does (a sentence built outside the catalogue). The Stripe field names in the
dropdowns are Stripe's and stay English, so option texts are left out, as is the raw JSON sent to
e-conomic (its API's keys).
Screenshots: test-artifacts/danish-*.png.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from customers.models import SyncRecord
from customers.services import customer_sync
from syncapp.models import Profile
from tests.conftest import ROOT
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
CATALOGUE = ROOT / "locale" / "da" / "LC_MESSAGES" / "django.po"
# Words that only English has (Danish shares "for", "at", "i", "by", "her", "status", "import", …).
ENGLISH_ONLY = {
    "the",
    "and",
    "would",
    "with",
    "your",
    "you",
    "this",
    "that",
    "was",
    "were",
    "which",
    "when",
    "what",
    "from",
    "have",
    "has",
    "not",
    "only",
    "than",
    "then",
    "they",
    "their",
    "there",
    "we",
    "our",
    "is",
    "are",
    "of",
    "will",
    "been",
    "into",
    "each",
    "every",
    "no",
    "yes",
    "save",
    "settings",
    "customer",
    "customers",
    "sync",
    "syncs",
    "rule",
    "rules",
    "run",
    "dry",
    "created",
    "failed",
}


def _english_sentences() -> list[str]:
    """Fixed stretches (12+ characters) of every English msgid whose Danish differs."""
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = re.findall(r'msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)msgstr ((?:"(?:[^"\\]|\\.)*"\s*)+)', text)
    pieces = set()
    for msgid, msgstr in entries:
        english = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgid)).replace('\\"', '"').replace("\\n", " ")
        danish = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgstr)).replace('\\"', '"').replace("\\n", " ")
        if not english or english == danish:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|<[^>]+>|%%", english):
            piece = " ".join(piece.split())
            if len(piece) >= 12:
                pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


ENGLISH = _english_sentences()


def _english_left(page: Page) -> list[str]:
    shown = page.evaluate(
        """() => {
            const clone = document.body.cloneNode(true);
            clone.querySelectorAll('option, script, style, [hidden], .sr-only').forEach(e => e.remove());
            // What was sent to e-conomic, as JSON, is e-conomic's API: keys and paths, not words.
            clone.querySelectorAll('pre').forEach(e => e.remove());
            // The values sent: the customer's data and the names in the merchant's own e-conomic
            // lists (the emulator's customer group is "Domestic customers"), as they are there.
            clone.querySelectorAll('[data-testid=record-payload] td').forEach(e => e.remove());
            // The menu's switch names English in English, as it should.
            clone.querySelectorAll('[data-testid=language-switch]').forEach(e => e.remove());
            return clone.innerText;
        }"""
    )
    text = " ".join(shown.split())
    found = [f"sentence: {piece!r}" for piece in ENGLISH if piece in text]
    # Identifiers (a metadata key like economic_customer_number, an e-mail) are data, not words.
    tokens = re.findall(r"[\w.@-]+", text)
    words = {t.lower() for t in tokens if re.fullmatch(r"[A-Za-zæøåÆØÅ]+", t)}
    found += [
        f"word: {w!r} in …{text[max(0, text.lower().find(w) - 60) : text.lower().find(w) + 60]}…"
        for w in sorted(words & ENGLISH_ONLY)
    ]
    return found


def _look(page: Page, name: str, problems: list[str]) -> None:
    page.screenshot(path=str(ARTIFACTS / f"danish-{name}.png"), full_page=True)
    assert page.locator("html").get_attribute("lang") == "da", name
    problems += [f"{name}: {found}" for found in _english_left(page)]


@pytest.mark.worker
def test_a_danish_merchant_reads_every_page_of_the_walk_in_danish(
    merchant, browser, live_server, celery_worker
):
    context = browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    page = context.new_page()
    problems: list[str] = []
    base = live_server.url

    # Sign-up, in Danish from the first page.
    page.goto(f"{base}/signup/")
    _look(page, "signup", problems)
    page.get_by_label("Virksomhedens navn").fill("Kobber & Kaffe ApS")
    page.get_by_label("E-mail").fill("ida@kobberkaffe.dk")
    page.get_by_label("Adgangskode").fill("en lang og god kode 42")
    page.get_by_role("button", name="Opret konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kobber & Kaffe ApS")
    assert Profile.objects.get(user__email="ida@kobberkaffe.dk").language == "da"
    _look(page, "dashboard-new", problems)
    page.get_by_role("button", name="Log ud").click()

    # A connected merchant's owner, whose browser asks for Danish.
    owner = MembershipFactory(tenant=merchant.tenant, role="owner").user
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    slug = merchant.tenant.slug
    expect(page.get_by_role("link", name="Overblik")).to_be_visible()
    _look(page, "dashboard", problems)

    tabs = {
        "matching": "Matchning af kunder",
        "number": "Kundenumre",
        "defaults": "Standardværdier for kunder",
        "field-mappings": "Felttilknytning for kunder",
        "preview": "Forhåndsvisning",
        "transfer": "Eksport / import",
        "history": "Historik",
    }
    page.get_by_role("link", name="Indstillinger for kundesynkronisering").first.click()
    for name, label in tabs.items():
        page.get_by_role("navigation", name="Indstillinger for kundesynkronisering").get_by_role(
            "link", name=label
        ).click()
        expect(page.get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")
        _look(page, f"settings-{name}", problems)
    # e-conomic's own Danish words for its fields and lists.
    page.goto(f"{base}/t/{slug}/settings/defaults/")
    for word in ("Betalingsbetingelser", "Kundegruppe", "Momszone", "Valuta", "Layout"):
        expect(page.get_by_test_id("defaults-form")).to_contain_text(word)
    page.goto(f"{base}/t/{slug}/settings/fields/")
    for word in ("Navn", "Adresse", "Postnr.", "By", "Land", "CVR-nr.", "Telefon", "Hjemmeside"):
        expect(page.get_by_test_id("field-mappings-form")).to_contain_text(word)
    # The tabs' script speaks Danish too (the djangojs catalogue).
    row = page.get_by_test_id("mapping-row-name")
    row.get_by_role("button", name="Redigér Navn").click()
    expect(row.get_by_role("button", name="Færdig med Navn")).to_have_text("Færdig")

    # The dry run and its report.
    merchant.stripe.create_customer(email="kendt@firma.dk", name="Kendt ApS")
    merchant.economic.add_customer(name="Kendt ApS", email="kendt@firma.dk")
    merchant.stripe.create_customer(email="ny@firma.dk", name="Ny ApS")
    page.goto(f"{base}/t/{slug}/import/")
    _look(page, "import", problems)
    page.get_by_role("button", name="Prøvekørsel").click()
    expect(page.get_by_test_id("imports")).to_contain_text("Færdig", timeout=30_000)
    _look(page, "import-done", problems)
    page.get_by_role("link", name="Se rapporten").click()
    expect(page.get_by_test_id("report-counts")).to_contain_text("Ville matche")
    expect(page.get_by_test_id("report-rows")).to_contain_text("Ville koble til kunde")
    _look(page, "dry-run-report", problems)

    # The sync log, with a record written by a real sync (its facts, read in Danish).
    stripe_id = merchant.stripe.create_customer(email="ida@kaffe.dk", name="Ida Kaffe")["id"]
    customer_sync(tenant=merchant.tenant, stripe_customer_id=stripe_id)
    record = SyncRecord.objects.for_tenant(merchant.tenant).get(stripe_customer_id=stripe_id)
    assert record.message.startswith("Created e-conomic customer")
    page.goto(f"{base}/t/{slug}/sync/")
    expect(page.get_by_test_id("sync-log")).to_contain_text(
        f"Kunde {record.economic_customer_number} er oprettet i e-conomic."
    )
    _look(page, "sync-log", problems)
    page.get_by_test_id("sync-log-row").first.get_by_role("link").first.click()
    expect(page.get_by_test_id("record-message")).to_contain_text("er oprettet i e-conomic")
    _look(page, "sync-record", problems)

    # To English and back, stored on the member.
    page.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(page.get_by_test_id("record-message")).to_contain_text("Created e-conomic customer")
    assert page.locator("html").get_attribute("lang") == "en"
    assert Profile.objects.get(user=owner).language == "en"
    page.screenshot(path=str(ARTIFACTS / "danish-switched-to-english.png"), full_page=True)
    page.get_by_test_id("language-switch").get_by_role("button", name="Dansk").click()
    expect(page.get_by_test_id("record-message")).to_contain_text("er oprettet i e-conomic")
    assert Profile.objects.get(user=owner).language == "da"

    # A warning the sync stored (as facts, in no language) reads in Danish too.
    long_name = merchant.stripe.create_customer(email="lang@kaffe.dk", name="Kaffebar " * 34)["id"]
    warned = customer_sync(tenant=merchant.tenant, stripe_customer_id=long_name)
    page.goto(f"{base}/t/{slug}/sync/{warned.pk}/")
    expect(page.locator("ul.warnings")).to_contain_text("e-conomic tillader 255: det er afkortet til 255")
    _look(page, "sync-record-warning", problems)

    context.close()
    assert problems == [], "\n".join(problems)
