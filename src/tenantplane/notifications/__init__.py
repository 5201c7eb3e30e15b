"""Notifications: channels (e-mail, webhook, Apprise, in-app), delivery jobs with retries, the in-app inbox.

Other domains call `service.notify` (a channel, templated) and `service.notify_users` (the platform's own).
"""
