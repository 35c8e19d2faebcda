"""Notifications: in-app messages, and their delivery through WeCom group bots, an SMS gateway
and e-mail. Callers use ``fengqiao.core.notifications.actions.notify`` inside their transaction."""
