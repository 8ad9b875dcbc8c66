"""Citizens' submissions made through the services or the public form, and petitions taken in
from them brought to any state as the demo organisation's people would."""

from __future__ import annotations

import itertools

import pytest
from captcha.models import CaptchaStore
from django.test import Client

from tests.api.conftest import PDF, api  # noqa: F401  (the API client fixture)
from tests.workflow.conftest import PATHS, drive  # noqa: F401  (petitions in any state)
from xinfang.audit.services import Context
from xinfang.petitions.actions import perform
from xinfang.portal.checks import check_submission
from xinfang.portal.services.intake import accept
from xinfang.portal.services.submission import submit

FORM = {
    "name": "王五",
    "id_number": "11010519491231002X",
    "phone": "13800138000",
    "address": "通川区朝阳路1号",
    "title": "小区路灯损坏",
    "content": "小区路灯坏了三个月无人修理，夜间出行不便。",
    "requests": "尽快修复",
    "category": "urban_construction",
    "consent": "on",
}


def form(**overrides):
    data = dict(FORM)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def solved_captcha() -> dict:
    """A fresh challenge and its right answer, read from the store as a person reads the picture."""
    key = CaptchaStore.generate_key()
    return {"captcha_key": key, "captcha": CaptchaStore.objects.get(hashkey=key).response}


@pytest.fixture
def citizen(demo_org):
    """A Client for the public pages from its own address (REMOTE_ADDR)."""

    def _citizen(address="203.0.113.7"):
        return Client(REMOTE_ADDR=address)

    return _citizen


@pytest.fixture
def submission(demo_org):
    """submission(**form overrides) → (Submission, secret), as the form's service stores it."""

    numbers = itertools.count(1)

    def _submission(address=None, files=(), **overrides):
        # Each from its own address and phone unless told: the rate limits are tested on their own.
        n = next(numbers)
        overrides.setdefault("phone", f"139{n:08d}")
        return submit(data=check_submission(form(**overrides), files), address=address or f"198.51.100.{n}")

    return _submission


@pytest.fixture
def taken_in(demo_org, submission):
    """taken_in(state) → (submission, secret, petition): submitted online, accepted by the clerk,
    then brought to `state` through the workflow."""
    users, units = demo_org

    def run(petition, state):
        for step in PATHS[state]:
            if isinstance(step, str):
                run(petition, step)
                continue
            actor, action, body = step
            perform(Context(actor=users[actor]), petition, action, body(units))

    def _taken_in(state="registered", **overrides):
        sub, secret = submission(files=[_pdf()], **overrides)
        petition = accept(ctx=Context(actor=users["clerk"]), submission_id=sub.pk, changes={})
        run(petition, state)
        petition.refresh_from_db()
        sub.refresh_from_db()
        assert petition.status == state
        return sub, secret, petition

    return _taken_in


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("证明材料.pdf", PDF)
