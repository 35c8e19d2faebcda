"""The registry's pages, under /registry/."""

from django.urls import path

from fengqiao.web.registry import pending, views

# (url segment, kind, the plural url name of its list)
KINDS = [
    ("people", "person", "registry_people"),
    ("addresses", "address", "registry_addresses"),
    ("houses", "house", "registry_houses"),
    ("organisations", "organisation", "registry_organisations"),
]

urlpatterns = [
    path("", views.registry_home, name="registry_home"),
    path("duties/", views.duties, name="registry_duties"),
    path("purpose/", views.purpose, name="registry_purpose"),
    path("staff-reads/", views.staff_reads_index, name="registry_staff_reads_index"),
    path("staff-reads/<int:pk>/", views.staff_reads, name="registry_staff_reads"),
    path("statistics/", views.statistics, name="registry_statistics"),
    path("addresses/pending/", pending.pending_list, name="registry_pending_addresses"),
    path("addresses/pending/<int:pk>/", pending.pending_detail, name="registry_pending_address"),
    path("addresses/pending/<int:pk>/merge/", pending.pending_merge, name="registry_pending_merge"),
    path("addresses/pending/<int:pk>/confirm/", pending.pending_confirm, name="registry_pending_confirm"),
    path("people/<int:pk>/reveal/<str:field>/", views.person_reveal, name="registry_person_reveal"),
    path("people/<int:pk>/tags/new/", views.care_tag_create, name="registry_person_tag"),
    path("tags/<int:pk>/remove/", views.care_tag_remove, name="registry_tag_remove"),
    path("residences/new/", views.residence_create, name="registry_residence_new"),
    path(
        "residences/<int:pk>/end/",
        views.relation_end,
        {"relation": "residence"},
        name="registry_residence_end",
    ),
    path("employments/new/", views.employment_create, name="registry_employment_new"),
    path(
        "employments/<int:pk>/end/",
        views.relation_end,
        {"relation": "employment"},
        name="registry_employment_end",
    ),
]

for segment, kind, list_name in KINDS:
    urlpatterns += [
        path(f"{segment}/", views.record_list, {"kind": kind}, name=list_name),
        path(f"{segment}/new/", views.record_create, {"kind": kind}, name=f"registry_{kind}_new"),
        path(f"{segment}/<int:pk>/", views.record_detail, {"kind": kind}, name=f"registry_{kind}"),
        path(f"{segment}/<int:pk>/edit/", views.record_edit, {"kind": kind}, name=f"registry_{kind}_edit"),
        path(
            f"{segment}/<int:pk>/retire/", views.record_retire, {"kind": kind}, name=f"registry_{kind}_retire"
        ),
    ]
