from django import template

from xinfang.audit.labels import access_label, event_label

register = template.Library()


@register.filter
def access_sentence(entry) -> str:
    """An access log entry's action as people read it: `{{ entry|access_sentence }}`."""
    return access_label(entry.action, entry.outcome)


@register.filter
def event_sentence(action: str) -> str:
    return event_label(action)
