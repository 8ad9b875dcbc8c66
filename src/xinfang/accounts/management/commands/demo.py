import os

from django.core.management import BaseCommand

from xinfang.accounts.demo import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_USERS,
    create_demo_organisation,
    database_is_empty,
)


class Command(BaseCommand):
    help = "Create the demo organisation of API.md, on an empty database only."

    def handle(self, *args, **options):
        if not database_is_empty():
            self.stdout.write("demo organisation: the database already has units or users; nothing created")
            return
        password = os.environ.get("XINFANG_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        create_demo_organisation(password)
        self.stdout.write(self.style.SUCCESS("demo organisation created"))
        self.stdout.write(f"accounts: {', '.join(u[0] for u in DEMO_USERS)}")
        self.stdout.write(f"password for every demo account: {password}")
