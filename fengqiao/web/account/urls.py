from django.urls import path

from fengqiao.web.account import views

urlpatterns = [
    path("", views.security, name="account_security"),
    path("password/", views.password_change, name="account_password"),
    path("two-factor/enrol/", views.enrol, name="account_enrol"),
    path("two-factor/qr.png", views.qr_code, name="account_qr"),
    path("two-factor/verify/", views.verify, name="account_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="account_recovery_codes"),
]
