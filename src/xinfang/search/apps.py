from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """Search, similar petitions and suggestions: a capability on top of petitions.

    It hooks into the core from here (petitions/hooks.py) and the core never imports it.
    """

    name = "xinfang.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self):
        from xinfang.petitions import hooks
        from xinfang.search.index import on_created_in_bulk, on_numbered, on_text_changed, on_units_changed
        from xinfang.search.query import Searcher

        hooks.petition_text_changed.connect(on_text_changed, dispatch_uid="xinfang.search.index")
        hooks.petition_numbered.connect(on_numbered, dispatch_uid="xinfang.search.index.number")
        hooks.petitions_created_in_bulk.connect(on_created_in_bulk, dispatch_uid="xinfang.search.bulk")
        hooks.petition_units_changed.connect(on_units_changed, dispatch_uid="xinfang.search.units")
        hooks.petition_search.register("search", Searcher())

        from xinfang.search.views import registration_panel

        hooks.registration_panels.register("similar", registration_panel)
