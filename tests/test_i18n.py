"""The Chinese catalogue is complete, compiled, and used; English is the source.

A small .po reader (no gettext tools needed) checks that every entry is
translated and none is fuzzy, and that the committed .mo holds exactly the .po's
translations, so an edit without `make messages` (compilemessages) fails here.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

SRC = Path(__file__).resolve().parents[1] / "src" / "xinfang"
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def read_po(path: Path) -> list[dict]:
    """Entries as {"msgid", "msgid_plural"?, "msgstr" or "msgstr[n]", "flags"}; the header is skipped."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set()}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line):
                key = match.group(1)
                entry[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


ENTRIES = read_po(PO)
# Capability apps keep their strings in their own catalogue (docs/development.md, "Translations"),
# so that parallel branches do not collide in the main one; the same checks hold for each.
APP_POS = sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
ALL_POS = [PO, *APP_POS]
ALL_ENTRIES = [e for po in ALL_POS for e in read_po(po)]


def test_the_catalogue_is_not_empty():
    assert len(ENTRIES) > 200


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=lambda e: e["msgid"][:40])
def test_every_entry_is_translated_and_not_fuzzy(entry):
    assert "fuzzy" not in entry["flags"]
    translations = [v for k, v in entry.items() if k.startswith("msgstr")]
    assert translations and all(t.strip() for t in translations)
    # Placeholders survive translation.
    for placeholder in re.findall(r"%\(\w+\)[sd]", entry["msgid"]):
        assert all(placeholder in t for t in translations), placeholder


@pytest.mark.parametrize("po", ALL_POS, ids=lambda p: p.parts[-5])
def test_the_header_is_not_fuzzy(po):
    head = po.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in head
    assert "Plural-Forms: nplurals=1; plural=0;" in head


@pytest.mark.parametrize("po", ALL_POS, ids=lambda p: p.parts[-5])
def test_the_compiled_catalogue_matches_the_po(po):
    with po.with_suffix(".mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in read_po(po):
        context = entry["msgctxt"] + "\x04" if "msgctxt" in entry else ""
        if "msgid_plural" in entry:
            expected[(context + entry["msgid"], 0)] = entry["msgstr[0]"]
        else:
            expected[context + entry["msgid"]] = entry["msgstr"]
    compiled = {k: v for k, v in catalog.items() if k != ""}
    assert compiled == expected


_TEMPLATE_LITERAL = re.compile(
    r"""\{% (?:translate|trans) "([^"]+)" %\}|\{% (?:translate|trans) '([^']+)' %\}"""
)
_PY_LITERAL = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)+)"\s*\)""")


def test_strings_in_the_sources_are_in_the_catalogue():
    """A cheap net for a forgotten makemessages: simple literals in templates and code."""
    known = {e["msgid"] for e in ALL_ENTRIES}
    missing = set()
    for path in SRC.rglob("*.html"):
        for match in _TEMPLATE_LITERAL.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) or match.group(2)
            if text not in known:
                missing.add((path.name, text))
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for match in _PY_LITERAL.finditer(path.read_text(encoding="utf-8")):
            text = ast.literal_eval(f'"{match.group(1)}"')
            if text not in known:
                missing.add((path.name, text))
    assert not missing, "run `make messages` and translate: " + repr(sorted(missing))


@pytest.fixture
def signed_in(demo_org):
    def make(**headers):
        client = Client(**headers)
        client.force_login(demo_org[0]["clerk"])
        return client

    return make


@pytest.mark.parametrize(
    ("url", "chinese", "english"),
    [
        ("/", "我的工作", "My work"),
        ("/petitions/", "信访事项", "Petitions"),
        ("/petitions/new/", "登记信访事项", "Register a petition"),
    ],
)
def test_pages_are_chinese_by_default_and_english_on_request(signed_in, url, chinese, english):
    default = signed_in().get(url).content.decode()
    assert chinese in default and 'lang="zh-hans"' in default
    by_header = signed_in(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    assert english in by_header and 'lang="en"' in by_header and chinese not in by_header
    by_cookie = signed_in()
    by_cookie.cookies["django_language"] = "en"
    assert english in by_cookie.get(url).content.decode()


def test_the_sign_in_page_follows_the_language(db):
    assert "登录" in Client().get("/accounts/login/").content.decode()
    assert "Sign in" in Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
