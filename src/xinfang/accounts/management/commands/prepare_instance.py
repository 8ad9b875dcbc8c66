from django.conf import settings
from django.core.management import BaseCommand, call_command

from xinfang.core.datadir import ensure_private_dir


class Command(BaseCommand):
    help = "Migrate the database, collect static files and, with --demo, load the demo organisation on an empty database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo", action="store_true", help="Create the demo organisation if the database is empty."
        )

    def handle(self, *args, demo=False, **options):
        ensure_private_dir(settings.DATA_DIR)  # holds the database, the files and the secret key
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        call_command("collectstatic", interactive=False, verbosity=0)
        if demo:
            call_command("demo")
