"""Reads of notifications. A notification belongs to its recipient: nobody else reads it."""

from fengqiao.core.notifications.models import Notification


def notifications_of(user, *, unread_only: bool = False):
    """The user's notifications, newest first (served by the recipient indexes)."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_of(user, unread_only=True).count()
