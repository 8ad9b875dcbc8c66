"""Keep the audit tables' months: make the months ahead (pg_partman), report rows that
fell outside them, and with --drop-expired drop the months past retention.

Run it daily from cron or a systemd timer as the role that owns the tables (the
application's role may not create or drop tables, docs/security.md). Exit status 1
when something needs a person: rows outside the months, or a month that could not go.
"""

from django.core.management import BaseCommand, CommandError
from django.db import connection

from xinfang.audit import retention


class Command(BaseCommand):
    help = "Make the audit tables' months ahead; with --drop-expired, drop the months past retention."

    def add_arguments(self, parser):
        parser.add_argument("--drop-expired", action="store_true", help="drop the months past retention")
        parser.add_argument("--dry-run", action="store_true", help="only list the months that would go")

    def handle(self, *args, drop_expired=False, dry_run=False, **options):
        if not retention.partitioned():
            self.stdout.write(
                f"the audit tables are partitioned only on PostgreSQL ({connection.vendor} here): nothing to do; "
                "purge_access_log removes old access log entries"
            )
            return
        problems = []
        if not dry_run:
            retention.maintain()
        for table in retention.TABLES:
            months = retention.months(table)
            outside = retention.outside_months(table)
            self.stdout.write(
                f"{table}: {len(months)} month(s), {months[0].start:%Y-%m} to {months[-1].start:%Y-%m}"
                if months
                else f"{table}: no months"
            )
            if outside:
                problems.append(f"{table}: {outside} row(s) outside the months (default partition)")
        if drop_expired:
            problems += self._drop(dry_run)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError("; ".join(problems), returncode=1)

    def _drop(self, dry_run):
        problems = []
        for table, days in retention.retention_days().items():
            if not days:
                self.stdout.write(f"{table}: kept for ever (no retention period set)")
                continue
            try:
                expired = retention.expired(table, days)
            except retention.RetentionRefused as refused:
                problems.append(f"{table}: {refused}")
                continue
            for month in expired:
                if dry_run:
                    self.stdout.write(
                        f"would drop {month.name} ({month.start:%Y-%m}), older than {days} days"
                    )
                    continue
                try:
                    chains = retention.drop_month(month)
                except retention.RetentionRefused as refused:
                    problems.append(f"{month.name} kept: {refused}")
                    break  # months go oldest first: the later ones wait for this one
                note = f", {chains} chain(s) sealed at the cut" if table == "audit_event" else ""
                self.stdout.write(f"dropped {month.name} ({month.start:%Y-%m}){note}")
        return problems
