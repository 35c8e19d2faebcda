"""The mediation ledger's pages under /disputes/, and the public agreement check under /verify/."""

from django.urls import path

from fengqiao.web.disputes import views

urlpatterns = [
    path("disputes/", views.dispute_list, name="dispute_list"),
    path("disputes/new/", views.dispute_create, name="dispute_create"),
    path("disputes/quota/", views.quota, name="dispute_quota"),
    path("disputes/statistics/", views.statistics, name="dispute_statistics"),
    path("disputes/statistics.xlsx", views.statistics_xlsx, name="dispute_statistics_xlsx"),
    path("disputes/screening/", views.screening, name="dispute_screening"),
    path("disputes/<str:number>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/<str:number>/move/", views.dispute_move, name="dispute_move"),
    path("disputes/<str:number>/sessions/new/", views.session_create, name="dispute_session_new"),
    path("disputes/<str:number>/agreement/", views.agreement_edit, name="dispute_agreement"),
    path("disputes/<str:number>/agreement.pdf", views.agreement_pdf, name="dispute_agreement_pdf"),
    path("disputes/<str:number>/agreement/signed/", views.signed_copy, name="dispute_signed_copy"),
    path("verify/agreement/<str:serial>/<str:check>/", views.verify_agreement, name="agreement_verify"),
]
