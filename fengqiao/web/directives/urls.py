"""Analysis directives (研判指令), included under /directives/."""

from django.urls import path

from fengqiao.web.directives import views

urlpatterns = [
    path("", views.directive_list, name="directive_list"),
    path("new/", views.directive_create, name="directive_create"),
    path("<str:number>/", views.directive_detail, name="directive_detail"),
    path("<str:number>/move/<str:name>/", views.directive_move, name="directive_move"),
]
