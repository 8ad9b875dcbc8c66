"""API shapes of petitions. Input is validated by services.checks (one set of
rules for every door); these classes describe the shapes for the OpenAPI
document and render output, masking personal data per the caller's rights."""

from __future__ import annotations

import copy

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xinfang.petitions.choices import Channel
from xinfang.petitions.masking import petitioner_rows
from xinfang.petitions.models import Petition
from xinfang.petitions.permissions import allowed_actions

# --- input shapes (documentation; see services/checks.py for the rules) ---------


class PetitionerIn(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(required=False, allow_blank=True, help_text="18 characters, checked")
    phone = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    work_unit = serializers.CharField(required=False, allow_blank=True, max_length=100)
    is_representative = serializers.BooleanField(required=False)


class InvolvedPersonIn(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    unit = serializers.IntegerField(required=False, allow_null=True)
    user = serializers.CharField(required=False, allow_null=True, help_text="username")


class SuperiorIn(serializers.Serializer):
    unit = serializers.IntegerField()
    reference = serializers.CharField(max_length=64)
    due_date = serializers.DateField()


class ReceptionIn(serializers.Serializer):
    notes = serializers.CharField()
    explained = serializers.CharField(required=False, allow_blank=True)
    visitors = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class PetitionCreate(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_at = serializers.DateTimeField()
    petitioners = PetitionerIn(many=True, required=False)
    anonymous = serializers.BooleanField(required=False)
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=20000)
    requests = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    category = serializers.CharField(help_text="code from GET /api/v1/categories")
    involved_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    involved_persons = InvolvedPersonIn(many=True, required=False)
    important = serializers.BooleanField(required=False)
    urgent = serializers.BooleanField(required=False)
    superior = SuperiorIn(required=False, help_text="for channels superior and assistance")
    reception = ReceptionIn(required=False, help_text="for visits and calls (Rule 4.2)")


class PetitionPatch(PetitionCreate):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# --- output -------------------------------------------------------------------


class FieldsFromModelOnce:
    """A ModelSerializer whose fields are derived from the model once per class.

    ModelSerializer introspects the model and builds every field anew for each instance
    (a fifth of the Python time of the 201 answer to a registration). What it builds
    depends only on the class (Meta, declared fields), so the first instance keeps the
    unbound fields as a template and every instance gets its own copy of them: a copy
    re-creates each field from its constructor arguments, as DRF copies declared fields,
    and is bound to its serializer as before (instances are never shared between threads).
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_fields_template")
        if template is None:
            template = super().get_fields()
            cls._fields_template = template
        return copy.deepcopy(template)


class PetitionerOut(serializers.Serializer):
    name = serializers.CharField()
    id_number = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    work_unit = serializers.CharField()
    is_representative = serializers.BooleanField()


class DeadlineOut(serializers.Serializer):
    name = serializers.CharField()
    rule = serializers.CharField()
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    paused = serializers.BooleanField()
    calendar_gap = serializers.CharField(help_text="Years counted without holiday data (weekends only).")


class PetitionSummary(FieldsFromModelOnce, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    first_responder = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.SerializerMethodField()
    highlight = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "number",
            "status",
            "channel",
            "received_at",
            "title",
            "category",
            "important",
            "urgent",
            "anonymous",
            "first_responder",
            "created_at",
            "overdue",
            "highlight",
        ]

    def get_overdue(self, petition) -> bool:
        return bool(getattr(petition, "is_overdue", False))

    def get_highlight(self, petition) -> str | None:
        """A snippet around the first search term found (set by the list when `q` is given)."""
        return getattr(petition, "search_highlight", None)


class PetitionDetail(FieldsFromModelOnce, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    first_responder = serializers.SlugRelatedField(slug_field="username", read_only=True)
    petitioners = serializers.SerializerMethodField()
    involved_units = serializers.SerializerMethodField()
    involved_persons = serializers.SerializerMethodField()
    superior = serializers.SerializerMethodField()
    reception = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "number",
            "status",
            "channel",
            "received_at",
            "petitioners",
            "anonymous",
            "title",
            "content",
            "requests",
            "category",
            "involved_units",
            "involved_persons",
            "important",
            "urgent",
            "superior",
            "reception",
            "first_responder",
            "created_at",
            "updated_at",
            "deadlines",
            "assignments",
            "flags",
            "attachments",
            "allowed_actions",
        ]

    def _user(self):
        return self.context["request"].user

    @extend_schema_field(PetitionerOut(many=True))
    def get_petitioners(self, petition) -> list[PetitionerOut]:
        # Integrations need the contact details they are entitled to; each such answer is logged.
        return petitioner_rows(self._user(), petition, reveal=True)

    def get_involved_units(self, petition) -> list[int]:
        return [iu.unit_id for iu in petition.involved_units.all()]

    def get_involved_persons(self, petition) -> list[dict]:
        return [
            {"name": p.name, "unit": p.unit_id, "user": p.user.username if p.user_id else None}
            for p in petition.involved_persons.all()
        ]

    def get_superior(self, petition) -> dict | None:
        if not petition.superior_unit_id:
            return None
        return {
            "unit": petition.superior_unit_id,
            "reference": petition.superior_reference,
            "due_date": petition.superior_due_date,
        }

    def get_reception(self, petition) -> dict | None:
        record = getattr(petition, "reception", None)
        if record is None:
            return None
        return {"notes": record.notes, "explained": record.explained, "visitors": record.visitors}

    @extend_schema_field(DeadlineOut(many=True))
    def get_deadlines(self, petition) -> list[DeadlineOut]:
        now = timezone.now()
        return [
            {
                "name": d.name,
                "rule": d.rule,
                "due_at": timezone.localtime(d.due_at),
                "met_at": d.met_at,
                "overdue": d.is_overdue(now),
                "paused": d.paused_at is not None,
                "calendar_gap": d.calendar_gap,
            }
            for d in petition.deadlines.all()
        ]

    def get_assignments(self, petition) -> list[dict]:
        return [
            {
                "id": a.pk,
                "unit": a.unit_id,
                "unit_name": a.unit.name,
                "role": a.role,
                "kind": a.kind,
                "status": a.status,
                "due_date": a.due_date,
                "handler": a.handler.username if a.handler_id else None,
                "share_contact": a.share_contact,
                "note": a.note,
            }
            for a in petition.assignments.all()
        ]

    def get_flags(self, petition) -> dict:
        return {
            "repeat_of": [p.number for p in petition.repeat_of.all()],
            "group": petition.is_group,
            "important": petition.important,
            "urgent": petition.urgent,
        }

    def get_attachments(self, petition) -> list[dict]:
        return [
            {"id": a.pk, "name": a.name, "size": a.size, "sha256": a.sha256, "content_type": a.content_type}
            for a in petition.attachments.all()
        ]

    def get_allowed_actions(self, petition) -> list[str]:
        return allowed_actions(self._user(), petition)


class EventOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    action = serializers.CharField()
    data = serializers.JSONField()
    hash = serializers.CharField()

    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor_id else None


class CategoryOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
