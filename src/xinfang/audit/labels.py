"""What the audit administrator's screens call each recorded action.

The logs store stable codes (`petition.view`, `auth.sign_in`); people read
sentences. Labels only, never content: the event log shows which step was taken,
not what anybody wrote (三员分立). A code without a label (a newer kind of entry)
still shows, as its code, rather than vanishing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xinfang.audit.models import Outcome

# Access log: (label when allowed, label when denied).
ACCESS_ACTIONS = {
    "auth.sign_in": (_("Signed in"), _("Sign-in refused")),
    "auth.sign_out": (_("Signed out"), _("Signed out")),
    "auth.locked": (_("Account locked after failed sign-ins"), _("Account locked after failed sign-ins")),
    "petition.view": (_("Opened a petition"), _("Tried to open a petition")),
    "petition.read": (_("Opened a petition"), _("Tried to open a petition it may not see")),
    "petition.personal_data": (_("Showed a petitioner's personal data"), _("Personal data refused")),
    "attachment.download": (_("Downloaded an attachment"), _("Tried to download another petition's file")),
    "audit.export": (_("Exported the access log"), _("Export refused")),
    # The capability apps (documents, reports, portal) add the codes they write from their
    # ready(), with labels in their own catalogues: the audit app knows none of them.
    # Rule 4.3: a step that would put the matter in the hands of a unit it concerns.
    "firewall.refused": (
        _("Refused: the matter concerns that unit"),
        _("Refused: the matter concerns that unit"),
    ),
    # Separation of duties: what system administrators did to accounts (accounts/roles.py,
    # accounts/admin.py). Always written as allowed; the refusal of a role is its own code.
    "account.role_requested": (
        _("Asked for a petition role (a second administrator decides)"),
        _("Asked for a petition role (a second administrator decides)"),
    ),
    "account.role_granted": (_("Granted a role"), _("Granted a role")),
    "account.role_refused": (_("Refused a requested role"), _("Refused a requested role")),
    "account.role_revoked": (_("Revoked a role"), _("Revoked a role")),
    "account.password_reset": (_("Reset a password"), _("Reset a password")),
    "account.2fa_reset": (_("Reset two-factor sign-in"), _("Reset two-factor sign-in")),
    "account.unlocked": (_("Lifted a sign-in lock"), _("Lifted a sign-in lock")),
}

# Event log: the step each event records (the workflow's own action names where they exist).
EVENT_ACTIONS = {
    "petition.registered": _("Registered"),
    "petition.corrected": _("Registration corrected"),
    "attachment.added": _("Attachment added"),
    "petition.propose": _("Propose handling"),
    "petition.resolve_on_the_spot": _("Resolve on the spot"),
    "petition.instruct": _("Instruct"),
    "petition.assign": _("Transfer / assign"),
    "petition.investigate": _("Investigate in the office"),
    "petition.accept_assignment": _("Take on the assignment"),
    "petition.contribute": _("Submit assisting unit's note"),
    "petition.submit_result": _("Submit result"),
    "petition.sign_off": _("Sign off"),
    "petition.sign_off_refused": _("Sign-off refused: wrong password"),
    "petition.send_back": _("Send back"),
    "petition.reply": _("Record reply"),
    "petition.report": _("Draft investigation report"),
    "petition.approve_report": _("Approve report"),
    "petition.close": _("Close"),
    "petition.archive": _("Archive"),
    "petition.flag_urgent": _("Flag urgent"),
    "petition.coordinate": _("Coordinate joint handling"),
    "petition.record_persuasion": _("Record persuasion"),
    "petition.conclude_persuasion": _("Conclude: persuaded to stop"),
    "petition.refer_to_police": _("Refer to public security"),
    "petition.merge": _("Merge into an open petition"),
    "petition.merged_in": _("Another petition merged into this one"),
    "petition.record_involvement": _("Record involved units or persons"),
    "petition.void": _("Void"),
    "deadline.extended": _("Deadline extended"),
    "deadline.paused": _("Deadline paused"),
    "deadline.resumed": _("Deadline resumed"),
    "supervision.issued": _("Supervision issued"),
    "supervision.responded": _("Supervision answered"),
    # Kinds written by capability apps are added by those apps (their display.py).
}


def access_label(action: str, outcome: str = Outcome.ALLOWED) -> str:
    labels = ACCESS_ACTIONS.get(action)
    if labels is None:
        return action
    return str(labels[1] if outcome == Outcome.DENIED else labels[0])


def event_label(action: str) -> str:
    return str(EVENT_ACTIONS.get(action, action))


def access_choices() -> list[tuple[str, str]]:
    """The filter's options: each code once, by its allowed label."""
    return [(code, str(labels[0])) for code, labels in ACCESS_ACTIONS.items()]
