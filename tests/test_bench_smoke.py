"""`make bench` must keep working: run its quick mode on a tiny size, end to end
(service layer, gunicorn, HTTP registrations and reads), on SQLite, in a
throwaway directory. No timing is asserted, only that every figure is produced."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_mode_runs(tmp_path):
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    env["BENCH_QUICK"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--petitions",
            "30",
            "--api-petitions",
            "8",
            "--requests",
            "2",
            "--databases",
            "sqlite",
            "--dir",
            str(tmp_path / "bench"),
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    sqlite = results["databases"]["sqlite"]
    assert sqlite["load"]["registered"] == 30 and sqlite["load"]["petitions"] == 30
    assert sqlite["load"]["service_per_second"] > 0
    assert sqlite["api_registration"]["created"] == 8, sqlite["api_registration"]
    assert sqlite["petitions_at_read_time"] == 38
    for name, figures in sqlite["reads"].items():
        assert figures["n"] == 2 and figures["p95"] >= figures["p50"] > 0, name
    assert "registrations/s over HTTP" in done.stdout
    assert "token" not in json.dumps(results)  # the API token is not written out
