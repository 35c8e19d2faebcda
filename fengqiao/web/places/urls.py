"""Places found by name, for every form and map that asks for one (staff and the portal)."""

from django.urls import path

from fengqiao.web.places import views

urlpatterns = [
    path("", views.search, name="place_search"),
    path("<str:kind>/<path:value>/", views.detail, name="place_detail"),
]
