from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from fengqiao.web import views
from fengqiao.web.events import stats as views_event_stats
from fengqiao.web.events import views as views_events

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for it whatever the page links; it lives with the other static files.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.ico"), permanent=True)),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("fengqiao.web.account.urls")),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
    path("grids/new/", views.grid_create, name="grid_create"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/edit/", views.grid_edit, name="grid_edit"),
    path("places/", include("fengqiao.web.places.urls")),
    path("registry/", include("fengqiao.web.registry.urls")),
    path("imports/", include("fengqiao.web.imports.urls")),
    path("notifications/", include("fengqiao.web.notifications.urls")),
    path("", include("fengqiao.web.disputes.urls")),
    path("analytics/", include("fengqiao.web.hotspots.urls")),
    path("events/indicators/", views_event_stats.indicators, name="event_indicators"),
    path("command/", include("fengqiao.web.command.urls")),
    path("directives/", include("fengqiao.web.directives.urls")),
    path("events/", include("fengqiao.web.events.urls")),
    path("staff/", include("fengqiao.web.staff.urls")),
    path("patrols/", include("fengqiao.web.patrols.urls")),
    path("inbox/", views_events.inbox, name="inbox"),
    path("", include("fengqiao.web.video.urls")),
    path("", include("fengqiao.web.duty.urls")),
    path("", include("fengqiao.web.points.urls")),
    path("", include("fengqiao.web.outreach.urls")),
    path("", include("fengqiao.web.selfservice.urls")),
    path("", include("fengqiao.web.portal.urls")),
]
