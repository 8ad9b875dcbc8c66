"""`make bench`'s sizes per database: SQLite, the embedded database of a small office, is
measured at 10⁵ at most unless asked otherwise, so that a 10⁶ run fills one database of that
size (PostgreSQL's), not two."""

import sys

import pytest
from bench import run


def parsed(monkeypatch, argv, env=None):
    for name in ("BENCH_PETITIONS", "BENCH_SQLITE_PETITIONS", "BENCH_SERVICE_PETITIONS", "BENCH_QUICK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["run.py", *argv])
    return run.options()


@pytest.mark.parametrize(
    ("argv", "env", "sqlite", "postgresql"),
    [
        # (petitions, bulk, service) on each database, written out
        ([], {}, (100_000, 95_000, 5_000), (100_000, 95_000, 5_000)),
        ([], {"BENCH_PETITIONS": "1000000"}, (100_000, 95_000, 5_000), (1_000_000, 995_000, 5_000)),
        (
            [],
            {"BENCH_PETITIONS": "1000000", "BENCH_SQLITE_PETITIONS": "1000000"},
            (1_000_000, 995_000, 5_000),
            (1_000_000, 995_000, 5_000),
        ),
        (["--petitions", "30"], {}, (30, 0, 30), (30, 0, 30)),
        (
            ["--petitions", "60", "--sqlite-petitions", "20", "--service-petitions", "10"],
            {},
            (20, 10, 10),
            (60, 50, 10),
        ),
    ],
)
def test_each_database_gets_its_size(monkeypatch, argv, env, sqlite, postgresql):
    args = parsed(monkeypatch, argv, env)
    for kind, expected in (("sqlite", sqlite), ("postgresql", postgresql)):
        sized = run.sized_for(kind, args)
        assert (sized.petitions, sized.bulk, sized.service) == expected, kind
    # The run's own arguments are left as they were: the next database starts from them.
    assert (args.petitions, args.bulk + args.service) == (postgresql[0], postgresql[0])
