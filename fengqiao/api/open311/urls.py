"""Open311 GeoReport v2: ``/open311/discovery.{json,xml}`` and ``/open311/v2/...``."""

from django.urls import path, re_path, register_converter

from fengqiao.api.open311 import views as open311


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "open311_format")

urlpatterns = [
    path("discovery.<open311_format:fmt>", open311.discovery, name="open311-discovery"),
    path("v2/services.<open311_format:fmt>", open311.services, name="open311-services"),
    path("v2/services/<str:code>.<open311_format:fmt>", open311.service_definition, name="open311-service"),
    path("v2/requests.<open311_format:fmt>", open311.requests, name="open311-requests"),
    path("v2/requests/<str:request_id>.<open311_format:fmt>", open311.request_detail, name="open311-request"),
    path("v2/tokens/<str:token>.<open311_format:fmt>", open311.token, name="open311-token"),
    re_path(r"^(?P<rest>.*)$", open311.not_found),
]
