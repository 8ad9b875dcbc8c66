"""The offline CAPTCHA (django-simple-captcha's store and images; no outside service).

A challenge is used once, right or wrong, so a bot cannot retry one image. In demo mode only,
the answer PASSED is accepted (settings.PORTAL_DEMO_CAPTCHA, which follows XINFANG_DEMO).
"""

from __future__ import annotations

import re

from captcha.models import CaptchaStore
from django.conf import settings
from django.utils import timezone

DEMO_ANSWER = "passed"


def new_challenge() -> str:
    return CaptchaStore.generate_key()


def solved(key, answer) -> bool:
    if not isinstance(key, str) or not isinstance(answer, str):
        return False
    answer = answer.strip().lower()[:32]
    key = key[:40]
    if not re.fullmatch(r"[0-9a-f]{40}", key) or "\x00" in answer:  # the store's keys are SHA-1 hex
        return False
    store = CaptchaStore.objects.filter(hashkey=key).first()
    if store is not None:
        store.delete()  # one attempt per challenge
    if settings.PORTAL_DEMO_CAPTCHA and answer == DEMO_ANSWER:
        return True
    return bool(store and store.expiration > timezone.now() and answer and store.response == answer)
