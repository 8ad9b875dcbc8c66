from django.core.management.base import BaseCommand

from xinfang.search.suggest import MIN_EXAMPLES, train


class Command(BaseCommand):
    help = (
        "Learn categories and handling units from this office's registered petitions (a new model version)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="also queue the daily retraining task (run by `make worker`)",
        )

    def handle(self, *args, schedule=False, **options):
        record = train()
        if record is None:
            self.stdout.write(
                f"Not enough history yet (at least {MIN_EXAMPLES} petitions in two categories)."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Model {record.version}: {record.examples} petitions, {record.unit_examples} assigned."
                )
            )
        if schedule:
            from xinfang.search.tasks import train_suggestions_task

            train_suggestions_task.enqueue(reschedule=True)
            self.stdout.write("Daily retraining queued.")
