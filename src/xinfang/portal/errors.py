from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import DomainError


class Throttled(DomainError):
    """Too many requests from one address (or for one phone or query code): 429."""

    status = 429
    default_message = _("Too many attempts. Please wait a while and try again.")
