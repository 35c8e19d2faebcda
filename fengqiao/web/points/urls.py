"""The points store's pages under /points/: a volunteer's own balance, card, catalogue and
reservations; a volunteer's account as the station's staff read it; the station's counter (hand
over reservations, redeem), store (catalogue, partners, stock and its counts) and ledger."""

from django.urls import path

from fengqiao.web.points import views

urlpatterns = [
    path("points/mine/", views.my_points, name="points_mine"),
    path("points/reserve/", views.reserve, name="points_reserve"),
    path("points/reservations/<int:pk>/cancel/", views.cancel_reservation, name="points_cancel"),
    path("points/reservations/<int:pk>/pick-up/", views.pick_up, name="points_pick_up"),
    path("points/counter/", views.counter, name="points_counter"),
    path("points/store/", views.store, name="points_store"),
    path("points/items/<int:pk>/", views.item_detail, name="points_item"),
    path("points/ledger/", views.ledger, name="points_ledger"),
    path("points/verify/", views.verify, name="points_verify"),
    path("points/flags/", views.flags, name="points_flags"),
    path("points/members/<int:member_id>/", views.member_points, name="points_member"),
    path("points/report/", views.monthly_report, name="points_report"),
    path("points/ranking/", views.ranking, name="points_ranking"),
    path("points/ranking/choice/", views.ranking_choice, name="points_ranking_choice"),
    path("points/mediation/<str:number>/", views.credit_mediation, name="points_credit_mediation"),
    path("points/lectures/<int:pk>/", views.credit_lecture, name="points_credit_lecture"),
]
