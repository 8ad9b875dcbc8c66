from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from xinfang.petitions.diagram import BEGIN, render


class Command(BaseCommand):
    help = "Regenerate the diagram and table in docs/workflow.md from the workflow table (--check: fail if stale)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")
        parser.add_argument("--path", default=str(Path(settings.BASE_DIR) / "docs" / "workflow.md"))

    def handle(self, *args, check=False, path=None, **options):
        doc = Path(path)
        current = doc.read_text(encoding="utf-8")
        if BEGIN not in current:
            raise CommandError(f"{doc} has no generated part marker")
        wanted = render(current)
        if check:
            if wanted != current:
                raise CommandError(f"{doc} is out of date: run manage.py workflow_diagram")
            self.stdout.write("docs/workflow.md is up to date")
            return
        doc.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"wrote {doc}")
