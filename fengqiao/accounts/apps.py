from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "fengqiao.accounts"
    label = "accounts"
    verbose_name = _("Staff and accounts")

    def ready(self):
        from fengqiao.accounts import signals  # noqa: F401  (login audit)
