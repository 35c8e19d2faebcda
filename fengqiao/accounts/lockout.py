"""What a locked-out log-in is told: on the page, in the admin and on the API's token endpoint."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fengqiao.core.middleware import UNESCAPED


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed log-ins: this account or this address may not log in for %(minutes)s "
        "minutes. Your superior can unlock it sooner."
    ) % {"minutes": minutes}


def lockout_response(request, response, credentials):
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): 429, JSON for the API."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429, json_dumps_params=UNESCAPED)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
