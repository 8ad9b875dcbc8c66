"""Fixtures for the sign-in tests: posting the sign-in form, TOTP devices and their codes."""

from __future__ import annotations

import time

import pytest
from django.test import Client

PASSWORD = "demo-pass-2026"


def sign_in(client: Client, username: str = "clerk", password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def code_for(device, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` time steps later)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def totp_device(demo_org):
    """A confirmed authenticator for the demo user "clerk"."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    users, _units = demo_org
    return TOTPDevice.objects.create(user=users["clerk"], name="phone", confirmed=True)


@pytest.fixture
def collected():
    """collected(signal) → a list that receives the keyword arguments of every sending."""
    connected = []

    def collect(signal):
        seen = []

        def receiver(sender, **kwargs):
            seen.append(kwargs | {"sender": sender})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return seen

    yield collect
    for signal, receiver in connected:
        signal.disconnect(receiver)
