"""Choice labels read in O(1) on list pages.

Django's ``get_<field>_display()`` rebuilds a dictionary of the field's choices on every call,
hashing each (lazy, translated) label: a list page calls it twice per row, and the rebuilds were
a measurable share of the page's Python time (docs/benchmarks.md, round 8). The choices of our
fields never change at run time, so the dictionary is built once per field. The labels stay lazy:
each call still renders them in the request's language.
"""

from __future__ import annotations

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def _labels(field) -> dict:
    cached = field.__dict__.get("_xf_choice_labels")
    if cached is None:
        cached = dict(make_hashable(field.flatchoices))
        field.__dict__["_xf_choice_labels"] = cached
    return cached


class ChoiceLabels(models.Model):
    """Mixin for models whose choice fields are displayed on pages that list many rows."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value (a list, say): Django's own path
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
