from django.core.management.base import BaseCommand
from django.db import connection, transaction

from xinfang.reports import summary_sql


class Command(BaseCommand):
    help = (
        "Recount the statistics summary from the petitions and their clocks, and recreate its "
        "triggers (after changing XINFANG_TIME_ZONE, a restore, or to check it). PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", action="store_true", help="only fold the appended changes")

    def handle(self, *args, compact, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("The statistics summary is kept on PostgreSQL only; nothing to do.")
            return
        with transaction.atomic():
            if compact:
                rows = summary_sql.compact()
            else:
                summary_sql.rebuild()
                rows = summary_sql.row_count()
        self.stdout.write(self.style.SUCCESS(f"Statistics summary: {rows} rows."))
