"""The outreach pages under /outreach/, and the portal's alert subscriptions under /alerts/."""

from django.urls import path

from fengqiao.web.outreach import views

urlpatterns = [
    path("outreach/", views.groups, name="outreach_groups"),
    path("outreach/groups/new/", views.group_create, name="outreach_group_create"),
    path("outreach/groups/<int:pk>/", views.group_detail, name="outreach_group"),
    path("outreach/groups/<int:pk>/edit/", views.group_edit, name="outreach_group_edit"),
    path("outreach/campaigns/", views.campaigns, name="outreach_campaigns"),
    path("outreach/campaigns/new/", views.campaign_create, name="outreach_campaign_create"),
    path("outreach/campaigns/<int:pk>/", views.campaign_detail, name="outreach_campaign"),
    path("outreach/campaigns/<int:pk>/cap.xml", views.campaign_cap, name="outreach_campaign_cap"),
    path("outreach/campaigns/<int:pk>/<slug:move>/", views.campaign_move, name="outreach_campaign_move"),
    path("outreach/consultations/", views.consultations, name="outreach_consultations"),
    path("outreach/consultations/new/", views.consultation_create, name="outreach_consultation_create"),
    path("outreach/consultations/<int:pk>/", views.consultation_detail, name="outreach_consultation"),
    path("outreach/lectures/", views.lectures, name="outreach_lectures"),
    path("outreach/lectures/new/", views.lecture_create, name="outreach_lecture_create"),
    path("outreach/lectures/<int:pk>/", views.lecture_detail, name="outreach_lecture"),
    path(
        "outreach/lectures/<int:pk>/photos/<int:photo>/", views.lecture_photo, name="outreach_lecture_photo"
    ),
    path("outreach/figures/", views.figures, name="outreach_figures"),
    path("alerts/", views.portal_alerts, name="portal_alerts"),
    path("alerts/subscribe/", views.portal_subscribe, name="portal_alerts_subscribe"),
    path("alerts/unsubscribe/", views.portal_unsubscribe, name="portal_alerts_unsubscribe"),
]
