"""Every error the API gives is JSON with a ``detail`` that says what is wrong and with which field.

Shape: ``{"detail": "lon: Input should be less than or equal to 180", "errors": [{"field": "lon",
"message": "..."}]}``; ``errors`` is there whenever fields are to blame (422, and 400 for a body
that is not JSON).
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from fengqiao.geo.geometry import GeometryError
from fengqiao.geo.locator import OutsideTerritory

BODY = "body"


def field_errors_payload(errors: list[tuple[str, str]], detail: str = "") -> dict:
    """``[(field, message), ...]`` as the body of a 4xx answer."""
    detail = detail or "; ".join(f"{field}: {message}" if field else message for field, message in errors)
    return {"detail": detail, "errors": [{"field": field, "message": message} for field, message in errors]}


def _field_from_loc(loc) -> str:
    """``("body", "payload", "geometry", 0)`` → ``geometry.0``; ``("query", "community")`` → ``community``."""
    loc = list(loc)
    source = loc.pop(0) if loc else ""
    if source == "body" and loc:
        loc.pop(0)  # the name of the view's body parameter, meaningless to the caller
    return ".".join(str(part) for part in loc) or (BODY if source == "body" else str(source))


def _message(error: dict) -> str:
    if error.get("type") == "extra_forbidden":
        return _("Unknown field.")
    if error.get("type") == "missing":
        return _("This field is required.")
    if error.get("type") == "string_too_long":
        return _("At most %(n)s characters.") % {"n": (error.get("ctx") or {}).get("max_length")}
    return str(error.get("msg", "")).removeprefix("Value error, ")


def ninja_validation_error(request, exc: NinjaValidationError, api):
    errors = [(_field_from_loc(e.get("loc", ())), _message(e)) for e in exc.errors]
    return api.create_response(request, field_errors_payload(errors), status=422)


def django_validation_error(request, exc: DjangoValidationError, api):
    if hasattr(exc, "error_dict"):
        errors = [
            ("" if field == NON_FIELD_ERRORS else field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [("", message) for message in exc.messages]
    return api.create_response(request, field_errors_payload(errors), status=422)


def geometry_error(request, exc: GeometryError, api):
    return api.create_response(request, field_errors_payload([("geometry", str(exc))]), status=422)


def outside_territory(request, exc: OutsideTerritory, api):
    message = str(exc)
    payload = field_errors_payload([("lon", message), ("lat", message)], detail=f"lon, lat: {message}")
    return api.create_response(request, payload, status=422)


def permission_denied(request, exc: PermissionDenied, api):
    message = str(exc) or _("You may not do this.")
    return api.create_response(request, {"detail": message}, status=403)


def not_found(request, exc: Http404, api):
    # Missing and out of scope are the same answer (DESIGN: "an object outside your scope is a 404").
    message = str(exc) or _("Not found.")
    return api.create_response(request, {"detail": message}, status=404)


def not_authenticated(request, exc: AuthenticationError, api):
    message = (
        exc.message
        if exc.message != "Unauthorized"
        else _(
            "Authorization: not authenticated. Send 'Authorization: Bearer <token>'; "
            "POST /api/v1/auth/token gives a token."
        )
    )
    response = api.create_response(request, {"detail": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="fengqiao"'
    return response


def http_error(request, exc: HttpError, api):
    if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
        payload = field_errors_payload([(BODY, _("The request body is not valid JSON."))])
        return api.create_response(request, payload, status=400)
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


def body_too_big(request, exc: RequestDataTooBig, api):
    message = _("The request body is larger than %(n)d bytes.") % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    return api.create_response(request, field_errors_payload([(BODY, message)]), status=413)


def install(api) -> None:
    """Register the handlers on a NinjaAPI (after its defaults, which they override)."""

    def bind(handler):
        return lambda request, exc: handler(request, exc, api)

    api.add_exception_handler(NinjaValidationError, bind(ninja_validation_error))
    api.add_exception_handler(DjangoValidationError, bind(django_validation_error))
    api.add_exception_handler(GeometryError, bind(geometry_error))
    api.add_exception_handler(OutsideTerritory, bind(outside_territory))
    api.add_exception_handler(PermissionDenied, bind(permission_denied))
    api.add_exception_handler(Http404, bind(not_found))
    api.add_exception_handler(AuthenticationError, bind(not_authenticated))
    api.add_exception_handler(HttpError, bind(http_error))
    api.add_exception_handler(RequestDataTooBig, bind(body_too_big))
