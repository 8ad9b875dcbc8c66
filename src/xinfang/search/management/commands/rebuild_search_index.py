from django.core.management.base import BaseCommand

from xinfang.search.index import rebuild


class Command(BaseCommand):
    help = "Index every petition's searchable text again (after an upgrade, a bulk load or a restore)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        def progress(done, total):
            if done == total or done % (batch_size * 20) == 0:
                self.stdout.write(f"{done}/{total}")

        count = rebuild(batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} petitions."))
