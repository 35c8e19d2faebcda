from django.contrib.auth import views as auth_views
from django.urls import include, path

from fengqiao.web import views, views_event_stats, views_events

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
    path("grids/new/", views.grid_create, name="grid_create"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/edit/", views.grid_edit, name="grid_edit"),
    path("registry/", include("fengqiao.web.urls_registry")),
    path("imports/", include("fengqiao.web.urls_imports")),
    path("notifications/", include("fengqiao.web.urls_notifications")),
    path("", include("fengqiao.web.urls_disputes")),
    path("events/indicators/", views_event_stats.indicators, name="event_indicators"),
    path("events/", include("fengqiao.web.urls_events")),
    path("staff/", include("fengqiao.web.staff.urls")),
    path("inbox/", views_events.inbox, name="inbox"),
    path("", include("fengqiao.web.urls_portal")),
]
