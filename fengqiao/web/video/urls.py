"""Cameras and video patrol under /video/; the owners' registration under /report/camera/ (the
portal's anonymous write limit covers /report/)."""

from django.urls import path

from fengqiao.web.video import views

urlpatterns = [
    path("video/", views.camera_list, name="camera_list"),
    path("video/cameras/new/", views.camera_create, name="camera_create"),
    path("video/cameras/<int:pk>/", views.camera_detail, name="camera_detail"),
    path("video/cameras/<int:pk>/confirm/", views.camera_confirm, name="camera_confirm"),
    path("video/cameras/<int:pk>/status/", views.camera_status, name="camera_status"),
    path("video/compounds/", views.compound_list, name="compound_list"),
    path("video/walls/", views.wall_list, name="video_wall_list"),
    path("video/walls/<int:pk>/", views.wall_detail, name="video_wall_detail"),
    path("video/patrols/", views.patrol_list, name="video_patrol_list"),
    path("video/patrols/new/", views.patrol_create, name="video_patrol_create"),
    path("video/patrols/<int:pk>/", views.patrol_detail, name="video_patrol_detail"),
    path("video/solved/", views.solved_list, name="video_solved"),
    path("video/solved/new/", views.solved_create, name="video_solved_create"),
    path("report/camera/", views.camera_register, name="camera_register"),
    path("report/camera/sent/", views.camera_registered, name="camera_registered"),
]
