"""The selfservice pages: the certificate for residents (portal and kiosk), its public
verification under /verify/, and the staff's list and decisions."""

from django.urls import path

from fengqiao.web.selfservice import views

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/apply/", views.apply, name="certificate_apply"),
    path("certificates/applied/", views.applied, name="certificate_applied"),
    path("certificates/track/", views.track, name="certificate_track"),
    path("certificates/track/review/", views.review, name="certificate_review"),
    path("certificates/track/document.pdf", views.applicant_document, name="certificate_applicant_pdf"),
    path("certificates/<str:number>/", views.certificate_detail, name="certificate_detail"),
    path("certificates/<str:number>/move/<str:name>/", views.certificate_move, name="certificate_move"),
    path("certificates/<str:number>/document.pdf", views.certificate_document, name="certificate_pdf"),
    path("bookings/", views.booking_day, name="booking_day"),
    path("offices/", views.office_list, name="office_list"),
    path("offices/<str:code>/book/", views.office_book, name="office_book"),
    path("offices/<str:code>/booked/", views.office_booked, name="office_booked"),
    path("kiosk/<str:code>/book/", views.kiosk_book, name="kiosk_book"),
    path("kiosk/<str:code>/booked/", views.kiosk_booked, name="kiosk_booked"),
    path("kiosk/<str:code>/", views.kiosk_home, name="kiosk_home"),
    path("kiosk/<str:code>/certificate/", views.kiosk_apply, name="kiosk_apply"),
    path("kiosk/<str:code>/applied/", views.kiosk_applied, name="kiosk_applied"),
    path("verify/certificate/<str:serial>/", views.verify, name="certificate_verify"),
]
