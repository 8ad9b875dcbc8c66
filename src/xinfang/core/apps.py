from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "xinfang.core"
    label = "core"

    def ready(self):
        from xinfang.core.datadir import seal_sqlite_files

        connection_created.connect(seal_sqlite_files, dispatch_uid="xinfang-seal-sqlite-files")
