from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "xinfang.petitions"
    label = "petitions"
    verbose_name = _("Petitions")

    def ready(self):
        from xinfang.audit import state
        from xinfang.petitions.audit_state import describe

        # The audit chain seals the petition rows its events describe (audit/state.py).
        state.register(describe)
