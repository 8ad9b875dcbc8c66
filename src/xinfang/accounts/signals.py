"""Signals of the sign-in machinery, for the access log to record.

Besides Django's own `user_logged_in`, `user_login_failed` and `user_logged_out`
(sent by the web sign-in and, with the request, by the API token endpoint):

- `account_locked(sender, username, locked_until)`: a user name reached the failure
  limit and is locked until `locked_until`. `username` is what was typed; the
  account may not exist.
- `sessions_ended(sender, user, reason)`: every session and API token of `user` was
  ended; `reason` is "disabled".
"""

from django.dispatch import Signal

account_locked = Signal()
sessions_ended = Signal()

# An administrator changed an account: a role requested, granted, refused or revoked, a password
# or two-factor reset, a lock lifted. Keyword arguments: action ("account.role_granted"…), actor,
# user, detail. The audit app writes it to the access log (accounts/roles.py).
account_changed = Signal()
