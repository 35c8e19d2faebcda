"""Duty rosters under /duty/."""

from django.urls import path

from fengqiao.web.duty import views

urlpatterns = [
    path("duty/", views.roster_list, name="roster_list"),
    path("duty/mine/", views.my_shifts, name="my_shifts"),
    path("duty/mine.ics", views.my_shifts_ics, name="my_shifts_ics"),
    path("duty/rosters/<int:pk>/", views.roster_detail, name="roster_detail"),
    path("duty/rosters/<int:pk>/propose/", views.roster_propose, name="roster_propose"),
    path("duty/rosters/<int:pk>/proposal/", views.roster_proposal_status, name="roster_proposal_status"),
    path("duty/rosters/<int:pk>.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("duty/rosters/<int:pk>.ics", views.roster_ics, name="roster_ics"),
    path("duty/shifts/", views.shift_list, name="shift_list"),
    path("duty/shifts/<int:pk>/", views.shift_edit, name="shift_edit"),
    path("duty/rules/", views.rule_list, name="rule_list"),
    path("duty/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("duty/leave/", views.leave_list, name="leave_list"),
    path("duty/swaps/", views.swap_list, name="swap_list"),
    path("duty/swaps/new/<int:assignment>/", views.swap_new, name="swap_new"),
    path("duty/swaps/<str:number>/", views.swap_detail, name="swap_detail"),
    path("duty/swaps/<str:number>/<str:name>/", views.swap_move, name="swap_move"),
]
