"""The command room's pages, included under /command/."""

from django.urls import path

from fengqiao.web.command import views

urlpatterns = [
    path("", views.dashboard, name="command"),
    path("wall/", views.wall, name="command_wall"),
]
