"""Domain errors raised by services and turned into HTTP answers at the edge.

Services never know about HTTP; views and the API map these to 400/403/409.
Messages are lazy translations so they reach the user in their language.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, access_log: dict | None = None):
        self.message = message or self.default_message
        # An access log entry to write once the refused transaction has rolled back
        # (writing it inside would roll it back too): see petitions.services.transitions.
        self.access_log = access_log
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """Input that fails validation; `errors` maps field paths to messages."""

    status = 400
    default_message = _("Some fields are not valid.")

    def __init__(self, errors: dict[str, list], message=None):
        self.errors = errors
        super().__init__(message)


class Conflict(DomainError):
    """Not allowed in the current state, or a rule refuses it."""

    status = 409
    default_message = _("This action is not allowed now.")


class Forbidden(DomainError):
    """The caller can see the object but may not do this."""

    status = 403
    default_message = _("You are not allowed to do this.")


class PayloadTooLarge(DomainError):
    status = 413
    default_message = _("The file is too large.")
