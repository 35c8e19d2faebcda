"""The selfservice pages."""

urlpatterns: list = []
