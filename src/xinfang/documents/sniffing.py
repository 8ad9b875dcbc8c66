"""What a file really is, decided from its bytes, never from its name or the
browser's Content-Type: a page disguised as "scan.pdf" is still a page.

Only the kinds of material petitions come with are accepted (Rule 3.1: scans,
photos, documents, recordings). Everything else, and anything the magic numbers
do not recognise (HTML, SVG, scripts, plain text), is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import filetype

# extension → (MIME type, kind)
ALLOWED = {
    "pdf": ("application/pdf", "document"),
    "jpg": ("image/jpeg", "image"),
    "png": ("image/png", "image"),
    "gif": ("image/gif", "image"),
    "webp": ("image/webp", "image"),
    "tif": ("image/tiff", "image"),
    "bmp": ("image/bmp", "image"),
    "heic": ("image/heic", "image"),
    "doc": ("application/msword", "document"),
    "xls": ("application/vnd.ms-excel", "document"),
    "ppt": ("application/vnd.ms-powerpoint", "document"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"),
    "odt": ("application/vnd.oasis.opendocument.text", "document"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "document"),
    "rtf": ("application/rtf", "document"),
    "mp3": ("audio/mpeg", "audio"),
    "wav": ("audio/wav", "audio"),
    "amr": ("audio/amr", "audio"),
    "m4a": ("audio/mp4", "audio"),
    "aac": ("audio/aac", "audio"),
    "ogg": ("audio/ogg", "audio"),
    "flac": ("audio/flac", "audio"),
    "mp4": ("video/mp4", "video"),
}

HEAD_BYTES = 8192


@dataclass(frozen=True)
class Sniffed:
    extension: str
    content_type: str
    kind: str


def sniff(head: bytes) -> Sniffed | None:
    """The accepted type of a file whose first bytes are `head`, or None."""
    if not head:
        return None
    guess = filetype.guess(head)
    if guess is None:
        return None
    extension = guess.extension
    if extension not in ALLOWED:
        return None
    content_type, kind = ALLOWED[extension]
    return Sniffed(extension, content_type, kind)
