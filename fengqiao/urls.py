from django.contrib import admin
from django.urls import include, path

from fengqiao.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/", include("fengqiao.api.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("fengqiao.web.urls")),
]

# A refusal says why (PermissionDenied's message), also to an htmx request.
handler403 = "fengqiao.web.views.permission_denied"
