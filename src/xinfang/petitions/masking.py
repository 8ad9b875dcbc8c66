"""Masking of petitioners' personal data for readers who may see the petition but
not who wrote it in full (DESIGN.md §5). Shared by the pages and the API so that
both show exactly the same thing."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    return f"{value[:4]}{'*' * 10}{value[-4:]}" if len(value) >= 8 else ("*" * len(value))


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else ("*" * len(value))


def mask_address(value: str) -> str:
    return f"{value[:6]}…" if value else ""
