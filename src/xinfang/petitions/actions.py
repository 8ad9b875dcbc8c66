"""The workflow actions as the API and the pages call them: for each action, how
its input is read (JSON body or form data → typed arguments, InvalidInput on
bad values) and which service carries it out. Permissions and state are the
services' business (transitions.acting)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.core.errors import InvalidInput
from xinfang.petitions.inputs import Errors, read_bool, read_date, read_datetime, read_text, read_unit_ids
from xinfang.petitions.models import Petition
from xinfang.petitions.services import conclusion, dispositions, handling, review, signoff
from xinfang.petitions.workflow import ACTIONS
from xinfang.petitions.workflow_models import AssignmentKind, AssignmentRole, ReplyMethod

SHORT = 5000
LONG = 20000


@dataclass(frozen=True)
class Action:
    name: str
    read: Callable[[Mapping, Errors], dict]
    service: Callable


def _units(errors, ids, path) -> list[Unit]:
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids, active=True)}
    for missing in [i for i in ids if i not in units]:
        errors.add(path, _("Unit %(id)s does not exist.") % {"id": missing})
    return [units[i] for i in ids if i in units]


def _one_unit(errors, data, key, *, required=True) -> Unit | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            errors.add(key, _("This field is required."))
        return None
    ids = read_unit_ids(errors, [value], key)
    found = _units(errors, ids, key)
    return found[0] if found else None


def _choice(errors, data, key, choices, *, default=None) -> str | None:
    value = data.get(key, default)
    if value not in choices:
        errors.add(key, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return None
    return value


def _text(key, max_length=SHORT, required=True):
    return lambda data, errors: {
        key: read_text(errors, data, key, key, max_length=max_length, required=required)
    }


def _nothing(data, errors) -> dict:
    return {}


def _propose(data, errors):
    return {
        "opinion": read_text(errors, data, "opinion", "opinion", max_length=SHORT, required=True),
        "important": read_bool(errors, data, "important", "important"),
    }


def _resolve(data, errors):
    return {
        "reply": read_text(errors, data, "reply", "reply", max_length=LONG, required=True),
        "method": _choice(errors, data, "method", [ReplyMethod.ORAL, ReplyMethod.WRITTEN], default="oral"),
    }


def _assign(data, errors):
    raw = data.get("assignments")
    if not isinstance(raw, (list, tuple)) or not raw:
        errors.add("assignments", _("Give at least one unit, one of them the lead."))
        return {"assignments": []}
    if len(raw) > 50:
        errors.add("assignments", _("At most %(max)d units.") % {"max": 50})
        return {"assignments": []}
    specs = []
    for i, item in enumerate(raw):
        path = f"assignments.{i}"
        if not isinstance(item, Mapping):
            errors.add(path, _("Must be an object with unit, role and kind."))
            continue
        sub = Errors()
        unit = _one_unit(sub, item, "unit")
        role = _choice(sub, item, "role", AssignmentRole.values)
        kind = _choice(sub, item, "kind", AssignmentKind.values, default=AssignmentKind.ASSIGNMENT)
        due = read_date(sub, item.get("due_date"), "due_date")
        share = read_bool(sub, item, "share_contact", "share_contact")
        for key, messages in sub.by_field.items():
            for message in messages:
                errors.add(f"{path}.{key}", message)
        if not sub:
            specs.append(
                handling.AssignmentSpec(unit=unit, role=role, kind=kind, due_date=due, share_contact=share)
            )
    return {"assignments": specs}


def _investigate(data, errors):
    return {"note": read_text(errors, data, "note", "note", max_length=SHORT)}


def _result(data, errors):
    return {
        "findings": read_text(errors, data, "findings", "findings", max_length=LONG, required=True),
        "result": read_text(errors, data, "result", "result", max_length=LONG, required=True),
    }


def _sign_off(data, errors):
    password = data.get("password")
    if not isinstance(password, str) or not password:
        errors.add("password", _("Enter your password to sign."))
        password = ""
    return {"password": password[:256]}


def _reply(data, errors):
    replied_at = data.get("replied_at")
    return {
        "method": _choice(errors, data, "method", ReplyMethod.values),
        "content": read_text(errors, data, "content", "content", max_length=LONG, required=True),
        "replied_at": read_datetime(errors, replied_at, "replied_at")
        if replied_at not in (None, "")
        else None,
    }


def _flag_urgent(data, errors):
    ids = read_unit_ids(errors, data.get("notify_units"), "notify_units")
    return {
        "reason": read_text(errors, data, "reason", "reason", max_length=SHORT, required=True),
        "notify_units": _units(errors, ids, "notify_units"),
    }


def _coordinate(data, errors):
    ids = read_unit_ids(errors, data.get("units"), "units")
    return {
        "lead_unit": _one_unit(errors, data, "lead_unit"),
        "units": _units(errors, ids, "units"),
        "note": read_text(errors, data, "note", "note", max_length=LONG, required=True),
    }


def _refer(data, errors):
    return {
        "reason": read_text(errors, data, "reason", "reason", max_length=SHORT, required=True),
        "unit": _one_unit(errors, data, "unit", required=False),
    }


def _archive(data, errors):
    number = read_text(
        errors, data, "archive_number", "archive_number", max_length=64, required=True, single_line=True
    )
    if number and not all(ch.isprintable() for ch in number):
        errors.add("archive_number", _("Must not contain control characters."))
    return {"archive_number": number}


def _involvement(data, errors):
    from xinfang.petitions.services.checks import InvolvedPersonInput

    ids = read_unit_ids(errors, data.get("units"), "units")
    persons = []
    raw = data.get("persons") or []
    if not isinstance(raw, (list, tuple)) or len(raw) > 50:
        errors.add("persons", _("Must be a list of at most 50 persons."))
        raw = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.add(f"persons.{i}", _("Must be an object with the person's name."))
            continue
        name = read_text(
            errors, item, "name", f"persons.{i}.name", max_length=50, required=True, single_line=True
        )
        unit = _one_unit(errors, item, "unit", required=False) if item.get("unit") not in (None, "") else None
        user = None
        if item.get("user"):
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=str(item["user"])[:150]).first()
            if user is None:
                errors.add(f"persons.{i}.user", _("No user “%(name)s”.") % {"name": str(item["user"])[:40]})
        persons.append(InvolvedPersonInput(name, unit, user))
    return {"units": _units(errors, ids, "units"), "persons": persons}


def _merge(data, errors):
    number = data.get("into")
    if not isinstance(number, str) or not number.strip():
        errors.add("into", _("Give the number of the open petition to merge into."))
        return {"into": None}
    return {"into": number.strip()[:32]}


REGISTRY: dict[str, Action] = {
    a.name: a
    for a in [
        Action("propose", _propose, review.propose),
        Action("resolve_on_the_spot", _resolve, review.resolve_on_the_spot),
        Action("instruct", _text("instruction"), review.instruct),
        Action("assign", _assign, handling.assign),
        Action("investigate", _investigate, handling.investigate),
        Action("accept_assignment", _nothing, handling.accept_assignment),
        Action("contribute", _text("note", LONG), handling.contribute),
        Action("submit_result", _result, handling.submit_result),
        Action("sign_off", _sign_off, signoff.sign_off),
        Action("send_back", _text("reason"), signoff.send_back),
        Action("reply", _reply, conclusion.reply),
        Action("report", _text("report", 50000), conclusion.report),
        Action("approve_report", _nothing, conclusion.approve_report),
        Action("close", _text("outcome", 10000), conclusion.close),
        Action("archive", _archive, conclusion.archive),
        Action("flag_urgent", _flag_urgent, dispositions.flag_urgent),
        Action("coordinate", _coordinate, handling.coordinate),
        Action("record_persuasion", _text("notes", LONG), dispositions.record_persuasion),
        Action("conclude_persuasion", _text("outcome", 10000), dispositions.conclude_persuasion),
        Action("refer_to_police", _refer, dispositions.refer_to_police),
        Action("merge", _merge, dispositions.merge),
        Action("void", _text("reason"), dispositions.void),
        Action("record_involvement", _involvement, handling.record_involvement),
    ]
}
assert set(REGISTRY) == set(ACTIONS), "every action in the table can be called"


# The request bodies of added actions for the API's document (action name -> a DRF serializer
# class); the core's own are in api/action_bodies.py.
EXTRA_BODIES: dict[str, type] = {}


def register_action(
    *, name: str, label, transitions: list, read: Callable, service: Callable, offered=None, body=None
) -> None:
    """Add a capability's action to the one action framework (CONVENTIONS 22), from its
    AppConfig.ready(): its rows join `transition_for`/`actions_from`, its label the buttons, its
    reader and service the API's and the page's door (`perform`). `offered(petition)` hides
    the button where the action's guard surely refuses; `body` (a serializer class) describes
    its request body in the OpenAPI document. The form is the template
    `petitions/actions/<name>.html`, which the capability ships."""
    from xinfang.petitions import workflow

    if name in ACTIONS:
        raise ValueError(f"{name} is an action of the core's table")
    workflow.ACTION_LABELS[name] = label
    for transition in transitions:
        assert transition.action == name
        workflow.EXTRA_TRANSITIONS[(str(transition.source), name)] = transition
    if offered is not None:
        workflow.EXTRA_OFFERED[name] = offered
    if body is not None:
        EXTRA_BODIES[name] = body
    REGISTRY[name] = Action(name, read, service)


def read_input(action: str, data) -> dict:
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected an object with the action's fields.")]})
    errors = Errors()
    kwargs = REGISTRY[action].read(data, errors)
    if errors:
        raise InvalidInput(errors.by_field)
    return kwargs


def perform(ctx, petition: Petition, action: str, data) -> Petition:
    """Read the input and carry out `action` on a petition the caller can see."""
    from xinfang.petitions.selectors import get_visible_petition

    kwargs = read_input(action, data)
    if action == "merge":
        # The petition merged into must be one the caller can see too.
        try:
            kwargs["into"] = get_visible_petition(ctx.actor, kwargs["into"])
        except Http404:
            raise InvalidInput({"into": [_("No petition with this number.")]}) from None
    return REGISTRY[action].service(ctx=ctx, petition=petition, **kwargs)
