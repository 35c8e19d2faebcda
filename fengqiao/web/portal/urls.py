"""The resident portal: no account needed, except for "my reports"."""

from django.urls import path

from fengqiao.web.portal import record_reads, views

urlpatterns = [
    path("report/", views.report, name="portal_report"),
    path("report/sent/", views.reported, name="portal_reported"),
    path("report/places.geojson", views.places, name="portal_places"),
    path("track/", views.track, name="portal_track"),
    path("track/<str:code>/", views.track_detail, name="portal_track_detail"),
    path("track/<str:code>/rate/", views.rate, name="portal_rate"),
    path("track/<str:code>/reopen/", views.reopen, name="portal_reopen"),
    path("my-reports/", views.my_reports, name="portal_my_reports"),
    path("my-record/reads/", record_reads.my_record_reads, name="portal_my_record_reads"),
]
