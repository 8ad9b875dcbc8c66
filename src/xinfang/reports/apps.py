from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "xinfang.reports"
    verbose_name = _("Statistics and ledgers")

    def ready(self):
        # The petition list must accept every filter a statistics number links with.
        from xinfang.reports import display  # noqa: F401  (registers the timeline sentence)
        from xinfang.reports.filters import register_list_filters

        register_list_filters()
        # The worker folds the statistics summary's appended changes on every pass.
        from xinfang.petitions.hooks import periodic_tasks
        from xinfang.reports.tasks import compact_statistics

        periodic_tasks.register("reports.compact_statistics", compact_statistics)
        # The petition list's exact count and deep pages from the same summary (list_index.py).
        from xinfang.petitions.hooks import petition_list_index
        from xinfang.reports.list_index import list_index

        petition_list_index.register("index", list_index)
