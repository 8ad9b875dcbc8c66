"""From a master and placeholder values to a .docx (docxtpl), and from a .docx to a PDF
(LibreOffice headless, on this machine, no network).

Masters are uploaded by administrators, so their Jinja runs in a sandbox: a master can fill
in the values it is given and nothing else (no attribute walking to Python internals).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from docxtpl import DocxTemplate, Listing
from jinja2.sandbox import SandboxedEnvironment

from xinfang.documents.office import server, uno_available

# Maps the standard's proprietary font names to free CJK fonts (see the file's comment).
FONTS_CONF = Path(__file__).resolve().parent / "masters" / "fonts.conf"


class RenderError(Exception):
    """The master could not be filled in, or the PDF could not be made."""


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def render_docx(master: bytes, values: dict[str, str]) -> bytes:
    """Fill the master in. Multi-line values keep their line breaks (docxtpl Listing)."""
    template = DocxTemplate(io.BytesIO(master))
    context = {key: Listing(value) if "\n" in value else value for key, value in values.items()}
    try:
        template.render(context, jinja_env=_environment())
    except Exception as exc:  # a master that passed the upload checks but still fails
        raise RenderError(str(exc)) from exc
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _profile_dir() -> Path:
    """A LibreOffice user profile per process: two conversions sharing one profile would
    wait for each other's lock (or fail)."""
    base = Path(tempfile.gettempdir()) / f"xinfang-soffice-{os.getuid()}-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    return base


def docx_to_pdf_many(sources: list[bytes]) -> list[bytes]:
    """Convert several .docx. With UNO (python3-uno), through the process's LibreOffice kept
    running (documents/office.py); otherwise one `soffice --convert-to` start for all of them
    (the start is most of the cost, docs/benchmarks.md)."""
    soffice = shutil.which(settings.DOCUMENT_SOFFICE)
    if soffice is None:
        raise RenderError("LibreOffice (soffice) is not installed")
    if settings.DOCUMENT_CONVERTER != "command" and uno_available():
        office = server(soffice, FONTS_CONF)
        try:
            return [office.convert(source) for source in sources]
        except Exception as exc:  # noqa: BLE001 - any UNO failure: say so, the caller marks the PDF failed
            raise RenderError(f"PDF conversion failed: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="xinfang-pdf-") as work:
        paths = []
        for i, data in enumerate(sources):
            path = Path(work) / f"d{i}.docx"
            path.write_bytes(data)
            paths.append(path)
        command = [
            soffice,
            f"-env:UserInstallation=file://{_profile_dir()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            work,
            *map(str, paths),
        ]
        try:
            # The command is ours: soffice's path from settings, file names we chose.
            subprocess.run(  # noqa: S603
                command,
                check=True,
                capture_output=True,
                timeout=settings.DOCUMENT_PDF_TIMEOUT + 5 * len(sources),
                env={
                    **os.environ,
                    "HOME": work,
                    "SAL_USE_VCLPLUGIN": "svp",
                    "FONTCONFIG_FILE": str(FONTS_CONF),
                },
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise RenderError(f"PDF conversion failed: {exc}") from exc
        results = []
        for path in paths:
            pdf = path.with_suffix(".pdf")
            if not pdf.exists():
                raise RenderError(f"PDF conversion produced no {pdf.name}")
            results.append(pdf.read_bytes())
        return results


def docx_to_pdf(source: bytes) -> bytes:
    return docx_to_pdf_many([source])[0]
