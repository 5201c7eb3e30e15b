"""ITSM: the service catalog, service requests with their fulfillment, and change requests."""
