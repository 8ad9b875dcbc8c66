"""Revealing petitioners' personal data on the petition page: an explicit, logged act."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.petitions.masking import petitioner_rows
from xinfang.petitions.permissions import can_see_personal_data
from xinfang.petitions.selectors import get_visible_petition


@login_required
@require_GET
def personal_data(request, number):
    petition = get_visible_petition(request.user, number)
    if not can_see_personal_data(request.user, petition):
        raise PermissionDenied
    response = render(
        request,
        "petitions/includes/petitioners.html",
        {
            "petition": petition,
            "petitioners": petitioner_rows(request.user, petition, reveal=True),
            "revealed": True,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
