import time

from django.core.management.base import BaseCommand

from xinfang.search.index import rebuild


class Command(BaseCommand):
    help = "Index every petition's searchable text again (after an upgrade, a bulk load or a restore)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size, **options):
        started = time.perf_counter()

        def progress(done, _total):
            if done % (batch_size * 25) == 0:
                self.stdout.write(f"{done} petitions, {time.perf_counter() - started:.0f} s")

        count = rebuild(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Indexed {count} petitions in {time.perf_counter() - started:.0f} s.")
        )
