"""The patrol pages under /patrols/."""

from django.urls import path

from fengqiao.web.patrols import views

urlpatterns = [
    path("", views.home, name="patrol_home"),
    path("map.geojson", views.map_geojson, name="patrol_map_geojson"),
    path("go/", views.patrol_go, name="patrol_go"),
    path("me/", views.my_record, name="patrol_record"),
    path("import/", views.gpx_import, name="patrol_import"),
    path("list/", views.patrol_list, name="patrol_list"),
    path("teams/", views.team_list, name="patrol_team_list"),
    path("members/", views.member_list, name="patrol_member_list"),
    path("teams/new/", views.team_create, name="patrol_team_create"),
    path("teams/<int:pk>/", views.team_detail, name="patrol_team"),
    path("teams/<int:pk>/members/<int:member>/active/", views.member_active, name="patrol_member_active"),
    path("plans/new/", views.plan_create, name="patrol_plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="patrol_plan"),
    path("plans/<int:pk>/print/", views.plan_print, name="patrol_plan_print"),
    path("visits/", views.visits, name="patrol_visits"),
    path("visits/new/", views.visit_create, name="patrol_visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="patrol_visit"),
    path("arrivals/", views.arrivals, name="scene_arrivals"),
    path("arrivals/<str:number>/", views.arrival_record, name="scene_arrival_record"),
    path("<uuid:patrol_id>/", views.patrol_detail, name="patrol_detail"),
    path("<uuid:patrol_id>/track.gpx", views.patrol_gpx, name="patrol_gpx"),
    path("<uuid:patrol_id>/photos/<uuid:photo_id>/", views.patrol_photo, name="patrol_photo"),
]
