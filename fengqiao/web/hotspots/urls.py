"""The command room's hotspot and near-repeat pages and weekly reports, included under /analytics/."""

from django.urls import path

from fengqiao.web.hotspots import reports, views

urlpatterns = [
    path("hotspots/", views.hotspot_map, name="hotspot_map"),
    path("hotspots/emerging/", views.emerging_hotspots, name="emerging_hotspots"),
    path("hotspots/grids/<str:code>/", views.grid_trend, name="hotspot_grid"),
    path("near-repeat/", views.near_repeat, name="near_repeat"),
    path("reports/", reports.report_list, name="weekly_reports"),
    path("reports/<int:pk>/<str:kind>/", reports.report_download, name="weekly_report_file"),
]
