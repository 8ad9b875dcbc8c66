import pytest
from django.test import Client
from django.utils import timezone

from xinfang.accounts.models import ApiToken


@pytest.fixture
def api(demo_org):
    """api("clerk") → a client that sends that demo user's Bearer token and JSON."""
    users, _units = demo_org

    class ApiClient:
        def __init__(self, username, language=None):
            _token, raw = ApiToken.issue(users[username])
            self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            self.headers = {"Accept-Language": language} if language else {}

        def get(self, path, **params):
            return self.client.get(path, params, headers=self.headers)

        def post(self, path, data=None, headers=None, **kwargs):
            return self.client.post(
                path,
                data if data is not None else {},
                content_type="application/json",
                headers={**self.headers, **(headers or {})},
                **kwargs,
            )

        def patch(self, path, data):
            return self.client.patch(path, data, content_type="application/json", headers=self.headers)

        def delete(self, path):
            return self.client.delete(path, headers=self.headers)

        def upload(self, path, name, content):
            from django.core.files.uploadedfile import SimpleUploadedFile

            return self.client.post(path, {"file": SimpleUploadedFile(name, content)}, headers=self.headers)

    return ApiClient


def body(**overrides):
    data = {
        "channel": "letter",
        "received_at": timezone.now().isoformat(),
        "petitioners": [
            {
                "name": "王五",
                "id_number": "11010519491231002X",
                "phone": "13800138000",
                "address": "通川区朝阳路1号",
            }
        ],
        "anonymous": False,
        "title": "小区路灯损坏",
        "content": "小区路灯坏了三个月无人修理。",
        "requests": "尽快修复",
        "category": "urban_construction",
        "involved_units": [],
        "involved_persons": [],
        "important": False,
        "urgent": False,
    }
    data.update(overrides)
    return data


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
