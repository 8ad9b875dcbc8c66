from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "xinfang.accounts"
    label = "accounts"
    verbose_name = _("Organisation and accounts")

    def ready(self):
        from xinfang.accounts import receivers  # noqa: F401  (connects them)
