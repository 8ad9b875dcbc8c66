"""`{% site_menu %}`, `{% header_links as header_urls %}` and `{% language_options %}`: the base template's header, from the
entries `core/navigation.py` builds once per process."""

from __future__ import annotations

from django import template

from xinfang.core import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def site_menu(context):
    request = context.get("request")
    user = context.get("user")
    match = getattr(request, "resolver_match", None)
    return navigation.menu_items(
        getattr(user, "role_codes", frozenset()),
        getattr(match, "url_name", None),
        context.get("unread_notifications"),
    )


@register.simple_tag
def header_links():
    return navigation.tool_links()


@register.simple_tag
def language_options():
    return navigation.language_options()
