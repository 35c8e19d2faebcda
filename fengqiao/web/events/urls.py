"""The staff's event pages, included under /events/ (the inbox is at /inbox/, in fengqiao.web.urls)."""

from django.urls import path

from fengqiao.web.events import views

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("map/", views.event_map, name="event_map"),
    path("map.geojson", views.event_map_geojson, name="event_map_geojson"),
    path("board/", views.event_board, name="event_board"),
    path("new/", views.event_create, name="event_create"),
    path("new/duplicates/", views.event_duplicates, name="event_duplicates"),
    path("<str:number>/", views.event_detail, name="event_detail"),
    path("<str:number>/move/<str:name>/", views.event_move, name="event_move"),
    path("<str:number>/attach/", views.event_attach, name="event_attach"),
    path("<str:number>/files/<int:pk>/", views.event_attachment, name="event_attachment"),
]
