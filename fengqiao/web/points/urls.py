"""The points store's pages under /points/: a volunteer's own balance and history, a volunteer's
account as the station's staff read it, and the station's counter."""

from django.urls import path

from fengqiao.web.points import views

urlpatterns = [
    path("points/mine/", views.my_points, name="points_mine"),
    path("points/counter/", views.counter, name="points_counter"),
    path("points/members/<int:member_id>/", views.member_points, name="points_member"),
]
