"""Extension points of the core (CONVENTIONS 18, 19).

Capabilities built on top of petitions (search, documents, reports, portal) hook in here from
their ``AppConfig.ready()``; petitions itself never imports them. Two kinds of hook:

- signals, for "something happened, react inside the same transaction";
- registries, for "kinds of things" the core's pages and API list without knowing who added them
  (panels on the petition page, documents a petitioner may download, extra list filters...).

Keep each hook small and documented: it is a contract between the core and the capabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.dispatch import Signal

# Sent by the core's services inside the writing transaction, after a petition's searchable text
# changed (registration, corrections, reception notes, findings, results, replies, merges...).
# Keyword arguments: ``petition`` (the saved Petition) and ``reason`` (a short code such as
# "registered", "corrected", "result_submitted"). Receivers run in the same transaction, so an
# index they keep can never disagree with the rows it describes.
petition_text_changed = Signal()


class Registry:
    """An ordered set of named entries that capabilities add in ``ready()``.

    Registering the same name twice replaces the entry (a re-imported app must not show a
    panel twice); ``items()`` keeps the order of first registration.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, Any] = {}

    def register(self, key: str, value: Any) -> Any:
        self._entries[key] = value
        return value

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries.get(key, default)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._entries.items()))

    def values(self) -> Iterator[Any]:
        return iter(list(self._entries.values()))

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


# Panels on the petition page: key -> callable(request, petition) -> rendered HTML (str) or "".
# The callable decides for itself whether the reader may see what it shows (visible_to).
petition_panels: Registry = Registry("petition_panels")

# Documents addressed to the petitioner, offered on the public portal's status page:
# key -> callable(petition) -> list of objects with ``name`` and an ``open()`` returning bytes.
public_documents: Registry = Registry("public_documents")

PanelRenderer = Callable[[Any, Any], str]


# --- Added for the public portal (issue 13); other capabilities may use them too -------------
# Work queues a capability adds to people's home pages: key -> callable(user) -> Queue or None.
# The callable starts from Petition.objects.visible_to(user) like the core's own queues.
petition_queues: Registry = Registry("petition_queues")

# Background jobs the deadline worker queues on every pass: key -> a django-tasks Task. Each must
# be idempotent (several workers may run it at once; a worker that was down catches up).
periodic_tasks: Registry = Registry("periodic_tasks")

# Workflow actions a capability adds (e.g. the portal's answers to an unsatisfactory rating) are
# registered with `petitions.actions.register_action`: they join the one action framework (same
# lock, refusal, event and permission path) without being rows of the core's own table.
