from django.urls import path

from fengqiao.web.staff import views

urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("postings/<int:posting_id>/end/", views.posting_end, name="posting_end"),
]
