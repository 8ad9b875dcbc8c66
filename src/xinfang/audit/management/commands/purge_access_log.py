"""Remove access log entries older than the retention period (at least 184 days)."""

from datetime import timedelta

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from xinfang.audit.models import AccessLog

MINIMUM_DAYS = 184  # Cybersecurity Law Art. 21: network logs kept no less than six months


class Command(BaseCommand):
    help = "Delete access log entries older than XINFANG_ACCESS_LOG_RETENTION_DAYS (never under 184)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        days = settings.ACCESS_LOG_RETENTION_DAYS if days is None else days
        if days < MINIMUM_DAYS:
            raise CommandError(f"access log entries are kept at least {MINIMUM_DAYS} days")
        cutoff = timezone.now() - timedelta(days=days)
        deleted, _by_model = AccessLog.objects.filter(at__lt=cutoff).delete()
        self.stdout.write(
            f"removed {deleted} access log entr{'y' if deleted == 1 else 'ies'} before {cutoff:%Y-%m-%d}"
        )
