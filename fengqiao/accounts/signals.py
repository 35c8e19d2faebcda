"""Log-ins, failed log-ins and lock-outs go to the audit log (infrastructure, hence a signal)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from fengqiao.accounts.mfa import NO_DEVICE_KEY
from fengqiao.accounts.passwords import DUE_KEY
from fengqiao.core import audit


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    with transaction.atomic():
        audit.record(audit.LOGIN, user, actor=user)
    session = getattr(request, "session", None)
    if session is not None:  # a new log-in looks at the second factor and the password afresh
        session.pop(NO_DEVICE_KEY, None)
        session.pop(DUE_KEY, None)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        with transaction.atomic():
            audit.record(audit.LOGOUT, user, actor=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    if credentials.get("second_factor"):  # the password was right, the code was not
        with transaction.atomic():
            audit.record(MFA_FAILED, object_type="accounts.user", object_id=username, object_repr=username)
        return
    with transaction.atomic():
        audit.record(
            audit.LOGIN_FAILED, object_type="accounts.user", object_id=username, object_repr=username
        )


MFA_FAILED = audit.register("mfa_failed", "gave a wrong second factor", needs_actor=False)
LOCKED_OUT = audit.register(
    "login_locked_out", "was locked out after repeated failed log-ins", needs_actor=False
)


@receiver(user_locked_out)
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    username = str(username or "")[:150]
    with transaction.atomic():
        audit.record(
            LOCKED_OUT,
            object_type="accounts.user",
            object_id=username,
            object_repr=username,
            after={"ip": ip_address},
        )
