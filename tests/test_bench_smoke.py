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
        timeout=600,
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
    # Every role's pages (bench/pages.py) on the same database, with the worker's peak RSS.
    assert set(sqlite["pages"]["personas"]) == {"clerk", "secgen", "deputy", "housing"}
    assert sqlite["pages"]["personas"]["clerk"]["home"]["status"] == 200
    # The registration form's panel, timed with a suggestion model the bench trained first.
    assert sqlite["pages"]["personas"]["clerk"]["registration form's suggestions"]["status"] == 200
    assert sqlite["pages"]["suggestion_model"]["trained"]["version"] is not None
    assert sqlite["pages"]["peak_rss_mb"] > 0 and "web worker peak RSS" in done.stdout
    # Issue 12's figures on the same database (bench/reports.py --existing): quick mode exports
    # the newest 500 petitions, here all 38 of them, and imports 500 rows.
    reports = sqlite["reports"]
    assert reports["petitions"] == 38 and reports["database"] == "sqlite-existing"
    assert {"api", "page", "standard_report"} <= set(reports["statistics"])
    assert reports["export_xlsx"]["rows"] == reports["export_csv"]["rows"] == 38
    assert reports["import"]["created"] == 500 and reports["import"]["errors"] == 0
    assert "ledger import: rows" in done.stdout
    assert "token" not in json.dumps(results)  # the API token is not written out


@pytest.mark.slow
def test_bench_bulk_fill_then_service_layer(tmp_path):
    """Bulk 50 + service 10: the numbering continues without a gap after the bulk
    fill, and the audit trail of both kinds of petition verifies."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    from bench.run import base_env

    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    # No reports part (bench/reports.py, its default import is 10⁵ rows): the fill is the point.
    args = ["--petitions", "60", "--service-petitions", "10", "--service-only", "--reports-rows", "0"]
    args += ["--databases", "sqlite"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *args, "--dir", str(tmp_path), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    load = json.loads(out.read_text(encoding="utf-8"))["databases"]["sqlite"]["load"]
    assert load["bulk"]["petitions"] == 50 and load["registered"] == 10 and load["petitions"] == 60
    assert "BULK LOAD" in done.stdout

    data_dir = tmp_path / "sqlite"
    check_env = {**env, **base_env(data_dir, f"sqlite:///{data_dir / 'bench.sqlite3'}")}
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from xinfang.petitions.models import NumberSequence, Petition, Deadline\n"
        "call_command('verify_audit')\n"
        "serials = sorted(Petition.objects.values_list('serial', flat=True))\n"
        "assert serials == list(range(1, 61)), serials\n"
        "assert NumberSequence.objects.get().last == 60\n"
        "assert Deadline.objects.filter(name='handling').count() == 60\n"
        "from xinfang.petitions.deadlines import registration_deadlines\n"
        "for p in Petition.objects.filter(serial__lte=50):\n"
        "    want = {(d.name, d.rule, d.due_at, d.calendar_gap) for d in registration_deadlines(p)}\n"
        "    got = set(p.deadlines.values_list('name', 'rule', 'due_at', 'calendar_gap'))\n"
        "    assert got == want, (p.number, got, want)\n"
    )
    checked = subprocess.run(
        [sys.executable, "-c", script], env=check_env, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "intact" in checked.stdout


@pytest.mark.slow
def test_bench_prepared_fill_is_kept_then_copied(tmp_path):
    """PostgreSQL: the first run fills and keeps the fill (with the realistic shape, its
    statistics recounted beside the search index), the second copies it; both end with the
    numbering unbroken, the service registrations after the bulk ones, and an audit trail
    that verifies on the copy."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the prepared fill is kept on PostgreSQL only")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import psycopg
    from bench.run import _maintenance_url, base_env

    admin, name = _maintenance_url(url)
    bench_url = url.rsplit("/", 1)[0] + f"/{name[:20]}_prep_smoke"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["BENCH_DATABASE_URL"] = bench_url
    env["BENCH_KEEP"] = "1"
    env["BENCH_REALISTIC"] = "1"
    args = ["--petitions", "60", "--service-petitions", "10", "--service-only", "--reports-rows", "0"]
    args += ["--databases", "postgresql"]
    seen = []
    try:
        for run in range(2):
            out = tmp_path / f"results-{run}.json"
            done = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "run.py"),
                    *args,
                    "--dir",
                    str(tmp_path),
                    "--out",
                    str(out),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            load = json.loads(out.read_text(encoding="utf-8"))["databases"]["postgresql"]["load"]
            seen.append(load["prepared"]["reused"])
            assert load["bulk"]["petitions"] == 50 and load["registered"] == 10 and load["petitions"] == 60
            data_dir = tmp_path / "postgresql"
            script = (
                "import django; django.setup()\n"
                "from django.core.management import call_command\n"
                "from xinfang.petitions.models import NumberSequence, Petition\n"
                "call_command('verify_audit')\n"
                "serials = sorted(Petition.objects.values_list('serial', flat=True))\n"
                "assert serials == list(range(1, 61)), serials\n"
                "assert NumberSequence.objects.get().last == 60\n"
                "assert Petition.objects.exclude(status='registered').exists()\n"
                # The recount beside the search index equals a recount on its own.
                "from xinfang.reports import summary_sql\n"
                "from xinfang.reports.models import StatCount\n"
                "from django.db.models import Sum\n"
                "keys = ('grain', 'day', 'channel', 'category_id', 'status', 'is_group', 'is_repeat',\n"
                "        'scope', 'clock', 'unit_id')\n"
                "def rows(): return sorted([(k, v) for *k, v in StatCount.objects.values_list(*keys)\n"
                "    .annotate(n=Sum('petitions') + Sum('settled') * 1000 + Sum('on_time') * 10**6\n"
                "              + Sum('late') * 10**9) if v], key=repr)\n"
                "kept = rows(); summary_sql.rebuild(); assert rows() == kept and kept\n"
                # The search index written beside the fill equals a rebuild's.
                "from django.db import connection\n"
                "from xinfang.search.index import rebuild\n"
                "def index():\n"
                "    with connection.cursor() as c:\n"
                "        c.execute('SELECT md5(string_agg(concat_ws(\\'|\\', petition_id, body, grams, units),"
                " \\'/\\' ORDER BY petition_id)) FROM search_searchdocument')\n"
                "        docs = c.fetchone()[0]\n"
                "        c.execute('SELECT count(*), sum(key::numeric * band) FROM search_matterband')\n"
                "        bands = c.fetchone()\n"
                "        c.execute('SELECT md5(string_agg(petition_id || encode(codes, \\'hex\\'), \\'/\\'"
                " ORDER BY petition_id)) FROM search_mattershingles')\n"
                "        return docs, bands, c.fetchone()[0]\n"
                "kept = index(); rebuild(); assert index() == kept and kept[1][0] > 50, kept\n"
            )
            checked = subprocess.run(
                [sys.executable, "-c", script],
                env={**env, **base_env(data_dir, bench_url)},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert checked.returncode == 0, checked.stdout + checked.stderr
        assert seen == [False, True]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for (db,) in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [f"{name[:20]}_prep_smoke"]
            ).fetchall():
                conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
