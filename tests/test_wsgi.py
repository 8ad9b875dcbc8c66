"""The WSGI entry point freezes the worker's start-up objects (gc.freeze), so that a full
collection during a request does not walk them (the statistics page's slow tail)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_worker_freezes_what_it_loaded_at_start(tmp_path):
    # A process of its own: freezing the test runner's objects would keep them for its life.
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "XINFANG_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "xinfang.settings"
    code = "import gc, xinfang.wsgi, xinfang.reports.views, sys; print(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # The views were imported by the URLconf before the freeze: most of the objects are frozen.
    assert int(out.stdout.strip()) > 50_000
