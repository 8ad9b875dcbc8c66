"""Small template helpers for the procedure forms."""

from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`values|lookup:name`: a dict's value for a key held in a variable."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def as_strings(values):
    """A list of ids as strings, to compare with option values."""
    if isinstance(values, (list, tuple)):
        return [str(v) for v in values]
    return []


@register.filter
def role_label(code):
    """The name of the role a leader acted in (stored as its code)."""
    from xinfang.accounts.models import Role

    return Role(code).label if code in Role.values else code


@register.simple_tag(takes_context=True)
def registration_panels(context):
    """Panels capabilities add to the registration form (petitions/hooks.py), in order."""
    from django.utils.safestring import mark_safe

    from xinfang.petitions.hooks import registration_panels as panels

    request = context.get("request")
    # Each renderer returns HTML it escaped itself (a rendered template).
    return mark_safe("".join(render(request) for render in panels.values()))  # noqa: S308
