"""The registration helpers live in tests/conftest.py; `letter` is imported from here by older tests."""

from tests.conftest import letter

__all__ = ["letter"]
