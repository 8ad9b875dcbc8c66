"""TOTP two-factor sign-in (等级保护: two factors, one of them cryptographic), with django-otp.

A user with a confirmed TOTP device enters a code after the password, on the web
and in `POST /api/v1/auth/token`. With XINFANG_REQUIRE_2FA every user must have
one: a user without is taken to enrolment right after the password. Codes are
checked inside the lock-out, so wrong codes count like wrong passwords, and
django-otp refuses a code whose time step is not after the last one used
(no replay); the lock-out's row lock makes that check-and-update atomic.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.accounts.lockout import Outcome, guarded_attempt

CODE = re.compile(r"[0-9]{6,8}")


def clean_code(raw: str | None) -> str:
    """Digits only: people type "123 456" as the app shows it."""
    return re.sub(r"[\s-]", "", raw or "")


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_factor(user) -> bool:
    """After the right password: must a code (or enrolment) follow before the user is signed in?"""
    return bool(user) and (settings.REQUIRE_2FA or has_second_factor(user))


def verify_code(user, raw_code: str | None) -> Outcome:
    """Checks a code of the user's confirmed device, counted by the lock-out; success resets the count."""
    code = clean_code(raw_code)

    def check() -> bool:
        # Read inside the lock: a code just used by a parallel request must be seen as used.
        device = confirmed_device(user)
        return bool(device and CODE.fullmatch(code) and device.verify_token(code))

    return guarded_attempt(user.get_username(), check)


def enrolment_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (made once, so reloading the page keeps the same secret)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)


def confirm_enrolment(user, device: TOTPDevice, raw_code: str | None) -> Outcome:
    """Confirms `device` with a first valid code; other devices of the user are removed."""
    code = clean_code(raw_code)

    def check() -> bool:
        fresh = TOTPDevice.objects.filter(pk=device.pk, user=user, confirmed=False).first()
        if not (fresh and CODE.fullmatch(code) and fresh.verify_token(code)):
            return False
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).exclude(pk=fresh.pk).delete()
            fresh.confirmed = True
            fresh.save(update_fields=["confirmed"])
        return True

    return guarded_attempt(user.get_username(), check)


def reset_second_factor(user) -> None:
    """For the system administrator, when a phone is lost: the user enrols again at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL of `device` as an inline SVG element (no script, no external image)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def secret_for_typing(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for apps that cannot scan."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
