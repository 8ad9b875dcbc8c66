"""Load the official holiday calendar from the installed `chinesecalendar` release.

Run after upgrading the package (it learns each new year once the State Council
publishes it in November). Years and days the administrator entered by hand are
left as they are."""

from django.core.management.base import BaseCommand

from xinfang.deadlines.clock_cache import invalidate
from xinfang.deadlines.models import CalendarDay, CalendarYear
from xinfang.deadlines.seed import sync_calendar


class Command(BaseCommand):
    help = "Add the holiday calendar years the chinesecalendar package knows."

    def handle(self, *args, **options):
        added = sync_calendar(CalendarYear, CalendarDay)
        invalidate()  # bulk_create sends no signals: the clocks' cached calendar goes explicitly
        last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()
        self.stdout.write(f"{added} calendar days added; official calendar known up to {last}.")
