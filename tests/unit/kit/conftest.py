"""The local listeners of tests/listeners.py, for the egress tests."""

from tests.listeners import http_listener, smtp_listener, udp_listener

__all__ = ["http_listener", "smtp_listener", "udp_listener"]
