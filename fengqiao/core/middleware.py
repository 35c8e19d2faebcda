import uuid

from fengqiao.core.context import Source, acting_as


class AuditContextMiddleware:
    """Puts the request's user, door (web or API), request id and IP in the acting context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith(("/api/", "/open311/")) else Source.WEB
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = request_id
        with acting_as(
            None, source, request=request, request_id=request_id, ip=request.META.get("REMOTE_ADDR")
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
