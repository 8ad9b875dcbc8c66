"""Events as sentences people read on a petition's timeline.

Each action code maps to a function that turns an event into one translated
sentence. Services that add a new action register its sentence here (or from
their own module with `register`), so the timeline never has to know the
workflow. An unknown code still shows, as "who: code", rather than vanishing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinfang.audit.models import Event

Sentence = Callable[[Event, str], str]
_SENTENCES: dict[str, Sentence] = {}


def register(action: str) -> Callable[[Sentence], Sentence]:
    """Decorator: `@register("petition.instructed")` on `def f(event, actor) -> str`."""

    def decorate(func: Sentence) -> Sentence:
        _SENTENCES[action] = func
        return func

    return decorate


def actor_name(event: Event) -> str:
    if event.actor_id is None:
        return _("The system")
    return event.actor.display_name


def describe(event: Event) -> str:
    actor = actor_name(event)
    render = _SENTENCES.get(event.action)
    if render is None:
        return _("%(actor)s: %(action)s") % {"actor": actor, "action": event.action}
    try:
        return render(event, actor)
    except (KeyError, TypeError, ValueError, AttributeError):
        # An event written by an older version with other data still gets a line.
        return _("%(actor)s: %(action)s") % {"actor": actor, "action": event.action}


# Names of registration fields as the correction sentence lists them.
FIELD_LABELS = {
    "channel": gettext_lazy("channel"),
    "received_at": gettext_lazy("time of receipt"),
    "anonymous": gettext_lazy("anonymous"),
    "title": gettext_lazy("title"),
    "content": gettext_lazy("problem raised"),
    "requests": gettext_lazy("requests"),
    "category": gettext_lazy("category"),
    "important": gettext_lazy("important"),
    "urgent": gettext_lazy("urgent"),
    "petitioners": gettext_lazy("petitioners"),
    "involved_units": gettext_lazy("involved units"),
    "involved_persons": gettext_lazy("involved persons"),
    "superior": gettext_lazy("superior organ"),
    "reception": gettext_lazy("reception record"),
}


def _list_separator() -> str:
    return _(", ")


@register("petition.registered")
def _registered(event: Event, actor: str) -> str:
    from xinfang.petitions.choices import Channel

    channel = event.data.get("channel", "")
    label = Channel(channel).label if channel in Channel.values else channel
    return _(
        "%(actor)s registered the petition as %(number)s (%(channel)s) and became its first responder."
    ) % {
        "actor": actor,
        "number": event.data.get("number", ""),
        "channel": label,
    }


@register("petition.corrected")
def _corrected(event: Event, actor: str) -> str:
    fields = [str(FIELD_LABELS.get(name, name)) for name in event.data.get("fields", [])]
    return _("%(actor)s corrected the registration: %(fields)s.") % {
        "actor": actor,
        "fields": _list_separator().join(fields),
    }


@register("attachment.added")
def _attachment_added(event: Event, actor: str) -> str:
    return _("%(actor)s added the attachment “%(name)s”.") % {
        "actor": actor,
        "name": event.data.get("name", ""),
    }
