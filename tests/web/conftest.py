"""Fixtures for the web pages: signed-in clients and petitions made through the services."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.utils import timezone

# Petitions brought to any state of the procedure through the services.
from tests.workflow.conftest import drive  # noqa: F401

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
VALID_ID = "11010519491231002X"
BAD_CHECKSUM_ID = "110105194912310021"


@pytest.fixture
def client_for(demo_org):
    """client_for("clerk") → a Client signed in as that demo user (Chinese by default)."""
    users, _units = demo_org

    def make(username: str, **headers) -> Client:
        client = Client(**headers)
        client.force_login(users[username])
        return client

    return make


@pytest.fixture
def make_petition(demo_org):
    """Registers a petition through check_registration + register_petition."""
    from xinfang.audit.services import Context
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    users, _units = demo_org
    counter = itertools.count(1)

    def make(actor: str = "clerk", **overrides):
        n = next(counter)
        data = {
            "channel": "letter",
            "received_at": timezone.now().isoformat(),
            "petitioners": [{"name": f"信访人{n}"}],
            "title": f"测试事项{n}",
            "content": "问题内容",
            "category": "urban_construction",
        } | overrides
        petition, _created = register_petition(ctx=Context(actor=users[actor]), data=check_registration(data))
        return petition

    return make


def letter_post(**overrides) -> dict:
    """A valid registration form post for a letter."""
    received = timezone.localtime(timezone.now() - timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "channel": "letter",
        "received_at": received,
        "title": "小区路灯损坏",
        "content": "小区路灯坏了三个月无人修理。",
        "requests": "尽快修复",
        "category": "urban_construction",
        "petitioners-0-name": "王五",
        "petitioners-0-id_number": VALID_ID,
        "petitioners-0-phone": "13800138000",
        "petitioners-0-address": "某市某区某路1号",
        "petitioners-0-work_unit": "某公司",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
