"""The import and export pages, included under /imports/."""

from django.urls import path

from fengqiao.web.imports import views

urlpatterns = [
    path("", views.import_index, name="import_index"),
    path("<int:pk>/", views.import_batch, name="import_batch"),
    path("<int:pk>/progress/", views.import_batch_progress, name="import_batch_progress"),
    path("<int:pk>/errors/", views.import_batch_errors, name="import_batch_errors"),
    path("templates/<str:kind>.<str:fmt>", views.import_template, name="import_template"),
    path("export/", views.export_records, name="registry_export"),
]
