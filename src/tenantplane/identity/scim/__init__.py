"""SCIM 2.0 provisioning (RFC 7643/7644): the directory keeps users, groups and managers; a per-tenant token."""
