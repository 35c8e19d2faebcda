import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language, get_supported_language_variant

from fengqiao.core.context import Source, acting_as

API_PREFIXES = ("/api/", "/open311/")


class AuditContextMiddleware:
    """Puts the request's user, door (web or API), request id and IP in the acting context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith(API_PREFIXES) else Source.WEB
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
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
