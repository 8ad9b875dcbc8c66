"""Documents tests reuse the workflow's way of bringing petitions to a state."""

import shutil
import subprocess

import pytest

from tests.api.conftest import api  # noqa: F401  (fixtures, re-exported)
from tests.web.conftest import client_for  # noqa: F401
from tests.workflow.conftest import drive  # noqa: F401

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


def pdf_text(data: bytes) -> str:
    """The PDF's text as pdftotext reads it, without whitespace (CJK lines break anywhere)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return "".join(out.stdout.decode().split())


def squash(text: str) -> str:
    return "".join(text.split())
