from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "xinfang.deadlines"
    label = "deadlines"
    verbose_name = _("Deadlines and supervision")

    def ready(self):
        # Timeline sentences for the events this app appends.
        from xinfang.deadlines import display  # noqa: F401
        from xinfang.deadlines.clock_cache import connect

        # Policy and calendar edits clear the clocks' per-day cache.
        connect()
        from xinfang.deadlines.selectors import home_counters as deadline_counters
        from xinfang.petitions.hooks import home_counters, petition_page_relations

        # My overdue and due-soon clocks, counted with the home page's other numbers.
        home_counters.register("deadlines", deadline_counters)
        # The petition page's supervisions (deadline_panel), read only when there are some.
        petition_page_relations.register("supervisions", "supervisions")
