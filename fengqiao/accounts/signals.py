"""Log-ins and failed log-ins go to the audit log (infrastructure, hence a signal)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from fengqiao.core import audit


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    with transaction.atomic():
        audit.record(audit.LOGIN, user, actor=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        with transaction.atomic():
            audit.record(audit.LOGOUT, user, actor=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        audit.record(
            audit.LOGIN_FAILED, object_type="accounts.user", object_id=username, object_repr=username
        )
