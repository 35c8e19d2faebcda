import re
import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import check_for_language, get_supported_language_variant
from django.utils.translation import gettext as _

from fengqiao.core import ratelimit
from fengqiao.core.context import Source, acting_as
from fengqiao.core.scoping import is_staff

API_PREFIXES = ("/api/", "/open311/")
# A caller's request id is kept only if it looks like one: it lands in the audit log.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNESCAPED = {"ensure_ascii": False}  # Chinese as itself in JSON answers


class AuditContextMiddleware:
    """Puts the request's user, door (web or API), request id and IP in the acting context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith(API_PREFIXES) else Source.WEB
        request_id = request.headers.get("X-Request-ID", "")
        if not REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        with acting_as(
            None, source, request=request, request_id=request_id, ip=request.META.get("REMOTE_ADDR")
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a police station's
    shared machines often carry an English browser, and the working language is Chinese.
    API clients are programs that state what they want, so there Accept-Language counts.
    """

    def process_request(self, request):
        if request.path.startswith(API_PREFIXES):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        language = get_supported_language_variant(language)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class StaffSessionLimitsMiddleware:
    """A staff session ends after FENGQIAO_SESSION_IDLE_MINUTES without a request and, whatever
    happens, FENGQIAO_SESSION_MAX_HOURS after the log-in: a police station's machines are shared."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if is_staff(user):
            session, now = request.session, time.time()
            started, seen = session.setdefault("started_at", now), session.get("seen_at", now)
            idle, longest = settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_SECONDS
            if now - seen > idle or now - started > longest:
                logout(request)  # the view now sees an anonymous user and asks for a log-in
            elif now - seen > min(60, idle / 2) or "seen_at" not in session:
                session["seen_at"] = now  # written at most once a minute, not on every request
        return self.get_response(request)


class PrivateAnswersMiddleware:
    """What a signed-in user or an API client is answered may carry personal data: never kept by a
    browser or a proxy. Every answer says which browser features the pages may use."""

    PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIXES) or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        return response


class AnonymousRateLimitMiddleware:
    """429, in the caller's language, once an address goes over an anonymous limit (core.ratelimit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if ratelimit.refused(request) is not None:
            message = _("Too many requests from your address: please try again in a minute.")
            response: HttpResponse
            if request.path.startswith(API_PREFIXES):
                response = JsonResponse({"detail": message}, status=429, json_dumps_params=UNESCAPED)
            else:
                response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = "60"
            return response
        return self.get_response(request)
