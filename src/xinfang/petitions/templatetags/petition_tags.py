"""Small template helpers for the procedure forms and the petition page."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()


# `{{ at|ymd_hm }}` and `{{ day|ymd }}`: what `date:"Y-m-d H:i"` and `date:"Y-m-d"` show, in
# the same (current) time zone, written with strftime. The date filter's format machinery costs
# about 110 Python function calls a value, and the petition page shows dozens (issue 9).
@register.filter(expects_localtime=True)
def ymd_hm(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@register.filter(expects_localtime=True)
def ymd(value):
    return value.strftime("%Y-%m-%d") if value else ""


@register.filter(expects_localtime=True)
def iso(value):
    """What `date:"c"` shows (ISO 8601), for <time datetime="...">."""
    return value.isoformat() if value else ""


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


# An attachment's type as people name it, rather than its MIME type (documents/sniffing.ALLOWED).
_FILE_TYPES = {
    "application/pdf": _("PDF document"),
    "image/jpeg": _("JPEG image"),
    "image/png": _("PNG image"),
    "image/gif": _("GIF image"),
    "image/webp": _("WebP image"),
    "image/tiff": _("TIFF image"),
    "image/bmp": _("BMP image"),
    "image/heic": _("HEIC photo"),
    "application/msword": _("Word document"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _("Word document"),
    "application/vnd.ms-excel": _("Excel spreadsheet"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _("Excel spreadsheet"),
    "application/vnd.ms-powerpoint": _("PowerPoint presentation"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _("PowerPoint presentation"),
    "application/vnd.oasis.opendocument.text": _("OpenDocument text"),
    "application/vnd.oasis.opendocument.spreadsheet": _("OpenDocument spreadsheet"),
    "application/rtf": _("RTF document"),
}


@register.filter
def file_type(content_type: str) -> str:
    return str(_FILE_TYPES.get(content_type, _("File")))
