"""A LibreOffice kept running for the life of a process, driven over UNO.

Starting LibreOffice is most of what a conversion costs (docs/benchmarks.md); a task worker
that converts one document after another starts it once and then only loads and stores. UNO's
Python bridge is Debian's (`python3-uno`, for the system Python 3.11 that the virtualenv's
Python can import); where it is missing, rendering.py falls back to one `soffice
--convert-to` per batch. One server per process, one conversion at a time (a lock); a failed
conversion stops the server, and the next call starts a new one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

UNO_PATHS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")


def uno_available() -> bool:
    for path in UNO_PATHS:
        if os.path.isdir(path) and path not in sys.path:
            sys.path.append(path)
    try:
        import uno  # noqa: F401
    except ImportError:
        return False
    return True


class OfficeServer:
    def __init__(self, soffice: str, fonts_conf: Path, start_timeout: float = 60.0):
        self.soffice = soffice
        self.fonts_conf = fonts_conf
        self.start_timeout = start_timeout
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.desktop = None
        self.pid = None

    def _start(self) -> None:
        import uno

        name = f"xinfang-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        profile = Path(tempfile.gettempdir()) / f"xinfang-office-{os.getuid()}-{os.getpid()}"
        # The arguments are ours: soffice's path from settings, a pipe name and a profile we chose.
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                f"--accept=pipe,name={name};urp;StarOffice.ComponentContext",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "SAL_USE_VCLPLUGIN": "svp", "FONTCONFIG_FILE": str(self.fonts_conf)},
        )
        self.pid = os.getpid()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={name};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.1)
        self.desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)

    def stop(self) -> None:
        if self.desktop is not None:
            with contextlib.suppress(Exception):  # it is going away either way
                self.desktop.terminate()
        self.desktop = None
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def convert(self, docx: bytes) -> bytes:
        from com.sun.star.beans import PropertyValue

        def prop(name, value):
            item = PropertyValue()
            item.Name, item.Value = name, value
            return item

        with self.lock:
            if self.pid != os.getpid():  # a forked child must not share its parent's office
                self.desktop, self.process = None, None
            if self.desktop is None or self.process is None or self.process.poll() is not None:
                self._start()
            with tempfile.TemporaryDirectory(prefix="xinfang-pdf-") as work:
                source, target = Path(work) / "d.docx", Path(work) / "d.pdf"
                source.write_bytes(docx)
                try:
                    document = self.desktop.loadComponentFromURL(
                        source.as_uri(), "_blank", 0, (prop("Hidden", True),)
                    )
                    try:
                        document.storeToURL(target.as_uri(), (prop("FilterName", "writer_pdf_Export"),))
                    finally:
                        document.close(True)
                except Exception:
                    self.stop()
                    raise
                return target.read_bytes()


_server: OfficeServer | None = None
_server_lock = threading.Lock()


def server(soffice: str, fonts_conf: Path) -> OfficeServer:
    global _server
    with _server_lock:
        if _server is None:
            _server = OfficeServer(soffice, fonts_conf)
            atexit.register(_server.stop)
        return _server
