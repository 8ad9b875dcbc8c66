from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xinfang.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self):
        # Hooks into the core's registries (CONVENTIONS 18): petitions never imports the portal.
        from xinfang.portal import hooks

        hooks.install()
