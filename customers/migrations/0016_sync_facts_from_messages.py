"""Records written before facts existed: their English sentence is read back into facts where it is
one of the sync's own sentences, so it too reads in the reader's language. A sentence that is not
(an error e-conomic answered with, one with a note appended) keeps its English (`explanation`
falls back to `message`).

The patterns are the sentences as the sync wrote them up to this migration; frozen here on purpose.
"""

import re

from django.db import migrations

# e-conomic fields as those sentences named them → their API names.
FIELDS = {
    "customer number": "customerNumber",
    "name": "name",
    "email": "email",
    "address": "address",
    "city": "city",
    "postal code": "zip",
    "country": "country",
    "CVR number": "corporateIdentificationNumber",
    "phone": "telephoneAndFaxNumber",
    "mobile phone": "mobilePhone",
    "website": "website",
    "public entry number": "publicEntryNumber",
    "EAN (e-invoicing)": "ean",
    "P-number (production unit)": "pNumber",
    "VAT number": "vatNumber",
}
F = "|".join(re.escape(words) for words in sorted(FIELDS, key=len, reverse=True))
PATTERNS = [
    ("created", r"Created e-conomic customer (?P<number>\d+)\."),
    ("updated", r"Updated e-conomic customer (?P<number>\d+) from Stripe\."),
    ("unchanged", r"Linked to e-conomic customer (?P<number>\d+); no mapped field changed\."),
    (
        "not_updated_never",
        r"Linked to e-conomic customer (?P<number>\d+); not updated: your settings never update existing customers\.",
    ),
    (
        "not_updated_not_ours",
        r"Linked to e-conomic customer (?P<number>\d+); not updated: it existed before and your settings only "
        r"update customers this sync created\.",
    ),
    (
        "matched",
        rf"Found e-conomic customer (?P<number>\d+) by (?P<field>{F}) “(?P<value>[^”]*)” \(match rule "
        r"(?P<rule>\d+)\) and linked it\.",
    ),
    ("would_create", r"No e-conomic customer matched: would create this customer \(dry run\)\."),
    ("would_update", r"Would update e-conomic customer (?P<number>\d+) \(dry run\)\."),
    (
        "would_link",
        rf"Would link to e-conomic customer (?P<number>\d+), found by (?P<field>{F}) with match rule "
        r"(?P<rule>\d+) \(dry run\)\.",
    ),
    ("stripe_has_none", r"Stripe has no customer (?P<stripe_id>\S+) \(any more\): nothing to sync\."),
    ("deleted_never_linked", r"(?P<stripe_id>\S+) was deleted in Stripe and was never linked\."),
    ("already_barred", r"e-conomic customer (?P<number>\d+) is already barred\."),
    ("would_bar", r"Would bar e-conomic customer (?P<number>\d+) \(dry run\)\."),
    (
        "barred",
        r"(?P<stripe_id>\S+) was deleted in Stripe: e-conomic customer (?P<number>\d+) is now barred\.",
    ),
    (
        "defaults_missing",
        r"No e-conomic customer matched, and a new one cannot be created until your customer defaults "
        r"\(payment terms, customer group, VAT zone, currency\) are set in Customer sync settings\.",
    ),
]
COMPILED = [(code, re.compile(pattern)) for code, pattern in PATTERNS]
UPDATED_TOO = " Its mapped fields were updated from Stripe, as your settings say."
STORED = re.compile(r" Stored the number in Stripe metadata “(?P<key>[^”]*)”\.$")
INTEGERS = {"number", "rule"}


def facts_of(message: str) -> list:
    tail = []
    stored = STORED.search(message)
    if stored:
        message, tail = message[: stored.start()], [{"code": "number_stored", "values": stored.groupdict()}]
    if message.endswith(UPDATED_TOO):
        message, tail = message[: -len(UPDATED_TOO)], [{"code": "matched_and_updated", "values": {}}, *tail]
    for code, pattern in COMPILED:
        found = pattern.fullmatch(message)
        if found:
            values = {
                name: int(value) if name in INTEGERS else FIELDS.get(value, value) if name == "field" else value
                for name, value in found.groupdict().items()
            }
            return [{"code": code, "values": values}, *tail]
    return []


def read_back(apps, schema_editor):
    for name in ("SyncRecord", "ImportReportRow"):
        model = apps.get_model("customers", name)
        changed = []
        for row in model._base_manager.filter(facts=[]).only("pk", "message").iterator(chunk_size=2000):
            facts = facts_of(row.message)
            if facts:
                row.facts = facts
                changed.append(row)
            if len(changed) >= 1000:
                model._base_manager.bulk_update(changed, ["facts"])
                changed = []
        model._base_manager.bulk_update(changed, ["facts"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0015_sync_facts")]
    operations = [migrations.RunPython(read_back, migrations.RunPython.noop)]
