"""The Danish catalogues are complete: makemessages, run on a copy of the product, finds no Danish
entry untranslated or fuzzy (docs/i18n.md). A string added without its Danish fails here, with
its msgid printed, until someone translates it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# What merchants read comes from these; the sandbox (the emulators) and the tests are not the product.
PRODUCT = ["manage.py", "syncapp", "mappings", "customers", "operations", "templates", "static", "locale"]
# The same options the catalogues are written with (docs/i18n.md), so the copy's catalogues differ
# from the committed ones only by what the code added or dropped.
MAKEMESSAGES = ["makemessages", "--locale", "da", "--add-location", "file", "--no-obsolete"]


def _copy_product(into: Path) -> None:
    for name in PRODUCT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, into / name)


def _entries(po: Path, *selection: str) -> str:
    """The entries of `po` that msgattrib selects (e.g. --untranslated), as gettext prints them."""
    return subprocess.run(
        ["msgattrib", *selection, "--no-obsolete", "--no-location", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    """locale/da/LC_MESSAGES of a copy of the product after makemessages for both domains."""
    copy = tmp_path_factory.mktemp("product")
    _copy_product(copy)
    # The copy's own packages (the script's directory comes first on sys.path); no sandbox app,
    # whose strings are the emulators' and not ours.
    env = {
        **os.environ,
        "SANDBOX_ENABLED": "false",
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "syncapp.settings",
    }
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", *MAKEMESSAGES, "--domain", domain],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return copy / "locale" / "da" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_danish_entry_is_translated(fresh_catalogues, domain):
    untranslated = _entries(fresh_catalogues / f"{domain}.po", "--untranslated", "--no-fuzzy")
    missing = [line for line in untranslated.splitlines() if line.startswith(("msgid ", "msgid_plural "))]
    # The header entry (msgid "") is always there and always "translated"; anything else is a miss.
    missing = [line for line in missing if line != 'msgid ""']
    assert not missing, f"{len(missing)} untranslated Danish entries in {domain}.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_danish_entry_is_fuzzy(fresh_catalogues, domain):
    fuzzy = _entries(fresh_catalogues / f"{domain}.po", "--only-fuzzy")
    guessed = [line for line in fuzzy.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
    assert not guessed, (
        f"{len(guessed)} fuzzy Danish entries in {domain}.po (gettext guessed them from a similar "
        "string: check each and remove the fuzzy flag):\n" + "\n".join(guessed)
    )


def test_the_committed_catalogues_compile(tmp_path):
    for po in (ROOT / "locale" / "da" / "LC_MESSAGES").glob("*.po"):
        subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / po.with_suffix(".mo").name), str(po)], check=True
        )
