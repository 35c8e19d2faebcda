"""The admin site, which a member of staff reaches only after their second factor.

As django-otp's ``OTPAdminSite`` does, a user the site would let in is refused while their session
still owes a second factor (``accounts.mfa``); unlike it, FENGQIAO_STAFF_MFA decides who owes one.
Installed in place of ``django.contrib.admin`` (settings.INSTALLED_APPS), so ``admin.site`` is it.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminSite(admin.AdminSite):
    def has_permission(self, request):
        from fengqiao.accounts import mfa  # this module is read before the models are

        return super().has_permission(request) and not mfa.owed_in_session(request)


class AdminConfig(DjangoAdminConfig):
    default_site = "fengqiao.accounts.admin_site.AdminSite"
