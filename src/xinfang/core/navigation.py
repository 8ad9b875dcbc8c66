"""The base template's header: the menu's entries and the tools' links (issue 9).

Which entries a user sees depends only on their roles, and an entry's address and label only on
the URL configuration and the language; none of it changes between requests. The header was
rendered with a `{% url %}` and a `{% translate %}` per entry and a role test per group, about
5,000 Python calls on every page; here the entries are built once per process for each (language,
roles) and a request only marks the current page and adds the unread count.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

from xinfang.accounts.models import OFFICE_ROLES, Role

# Who sees an entry, by role codes (administrators see no petition pages: 三员分立).
_EVERYONE = "everyone"
_OFFICE = "office"
_OFFICE_OR_HANDLER = "office_or_handler"
_AUDIT = "audit"
_SYSTEM = "system"

# (URL name, label, who, marked as the current page). In the menu's order; the labels are the
# catalogue's msgids, translated when a language's menu is built.
_ENTRIES = (
    ("home", gettext_noop("My work"), _EVERYONE, True),
    ("petition_list", gettext_noop("Petitions"), _OFFICE_OR_HANDLER, True),
    ("register", gettext_noop("Register a petition"), _OFFICE, True),
    ("portal_intake", gettext_noop("Online intake"), _OFFICE, True),
    ("deadline_lists", gettext_noop("Deadlines"), _OFFICE_OR_HANDLER, True),
    ("audit_access_log", gettext_noop("Access log"), _AUDIT, True),
    ("audit_events", gettext_noop("Event log"), _AUDIT, True),
    ("statistics", gettext_noop("Statistics"), _OFFICE_OR_HANDLER, True),
    ("notifications", gettext_noop("Notifications"), _EVERYONE, True),
    ("admin:index", gettext_noop("Administration"), _SYSTEM, False),
    ("document_masters", gettext_noop("Document masters"), _SYSTEM, True),
)
# The entry that carries the unread count.
_COUNTED = "notifications"
# Entries whose app may be left out of the URL configuration: no link then, as before.
_OPTIONAL = frozenset({"statistics"})


def _groups(roles: frozenset[str]) -> frozenset[str]:
    office = bool(roles & OFFICE_ROLES)
    groups = {_EVERYONE}
    if office:
        groups.add(_OFFICE)
    if office or Role.HANDLER in roles:
        groups.add(_OFFICE_OR_HANDLER)
    if Role.AUDIT_ADMIN in roles:
        groups.add(_AUDIT)
    if Role.SYSTEM_ADMIN in roles:
        groups.add(_SYSTEM)
    return frozenset(groups)


@lru_cache(maxsize=256)
def _menu(language: str, roles: frozenset[str], prefix: str, urlconf: str) -> tuple:
    """(URL name or None, start of the link up to its attributes' end, label) per entry shown.
    `language`, `prefix` and `urlconf` are the key only: reverse and gettext read the active ones."""
    groups = _groups(roles)
    entries = []
    for name, label, who, marked in _ENTRIES:
        if who not in groups:
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            if name in _OPTIONAL:
                continue
            raise
        entries.append(
            (name if marked else None, format_html('<li><a href="{}"', href), escape(gettext(label)))
        )
    return tuple(entries)


def menu_items(roles: frozenset[str], current: str | None, unread) -> SafeString:
    """The menu's `<li>` entries for a user with `roles`, on the page named `current`.
    `unread`: the header's lazy unread count (read only here, once)."""
    key = (get_language(), roles, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    parts = []
    for name, start, label in _menu(*key):
        current_mark = ' aria-current="page"' if name is not None and name == current else ""
        badge = ""
        if name == _COUNTED and unread is not None and (n := unread.count):
            badge = format_html(
                ' <span class="badge badge--count" data-unread>{}<span class="visually-hidden"> {}</span></span>',
                n,
                gettext("unread"),
            )
        parts.append(f"{start}{current_mark}>{label}{badge}</a></li>")
    return mark_safe("\n          ".join(parts))  # noqa: S308 — every part escaped above


@lru_cache(maxsize=16)
def _tool_links(language: str, prefix: str, urlconf: str) -> dict[str, str]:
    """The addresses the header's forms post or link to (the language only keys the cache alike)."""
    return {name: reverse(name) for name in ("home", "petition_list", "set_language", "logout")}


def tool_links() -> dict[str, str]:
    return _tool_links(get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=16)
def _language_options(language: str) -> SafeString:
    """The language switch's `<option>`s, the active language selected: a loop over
    settings.LANGUAGES with each name translated, the same for every page in that language."""
    options = (
        format_html(
            '<option value="{}" lang="{}"{}>{}</option>',
            code,
            code,
            mark_safe(" selected") if code == language else "",  # noqa: S308 — a constant
            gettext(name),
        )
        for code, name in settings.LANGUAGES
    )
    return mark_safe("\n            ".join(options))  # noqa: S308 — every part escaped above


def language_options() -> SafeString:
    return _language_options(get_language())
