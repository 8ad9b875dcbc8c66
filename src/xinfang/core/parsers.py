"""The API's JSON parser: DRF's, with a bound on nesting.

Python's JSON decoder recurses once per level, so a body of a few thousand
brackets raised RecursionError, a 500 before any permission check. A body
nested deeper than anything the contract uses is refused as a 400 instead,
and so is one the decoder cannot even read for its depth.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest body in API.md is four levels (registration → petitioners → item → field).
MAX_DEPTH = 32


def depth_exceeds(value, limit: int) -> bool:
    """Whether `value` nests lists/objects more than `limit` levels; iterative, so that
    checking cannot itself run out of stack."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        message = _("The JSON body is nested too deeply (at most %(max)d levels).") % {"max": MAX_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(message)
        return data
