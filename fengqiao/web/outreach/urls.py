"""The outreach pages."""

urlpatterns: list = []
