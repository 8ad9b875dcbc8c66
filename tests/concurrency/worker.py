"""A separate OS process that registers petitions, for tests/concurrency.

Usage: python worker.py USERNAME COUNT SEED  (DATABASE_URL names the test database)

It sets Django up with the test settings, prints "ready", waits for one line on
stdin (so that all workers start registering at the same moment), registers COUNT
generated petitions through the service layer and prints their serials as JSON.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"


def main(username: str, count: int, seed: int) -> None:
    import django

    django.setup()
    from django.db import connection

    from tests.factories import generator, register
    from xinfang.accounts.models import User

    user = User.objects.get(username=username)
    batch = list(generator(seed).registrations(count))
    print("ready", flush=True)
    sys.stdin.readline()
    serials = [register(user, data).serial for data in batch]
    connection.close()
    print(json.dumps(serials), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
