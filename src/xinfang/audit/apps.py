from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "xinfang.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from xinfang.audit import signals  # noqa: F401  (connects the sign-in receivers)
