"""Built-in roles and what each may do; any other role name is a free label for approval steps.

Permissions are checked by typed FastAPI dependencies built with `require`.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    GROUPS_MANAGE = "groups.manage"
    AUDIT_READ = "audit.read"
    CATALOG_MANAGE = "catalog.manage"
    APPROVAL_DEFINITIONS_MANAGE = "approval_definitions.manage"
    REQUESTS_FULFILL = "requests.fulfill"
    REQUESTS_READ_ALL = "requests.read_all"
    RUNBOOKS_MANAGE = "runbooks.manage"
    WORKFLOWS_MANAGE = "workflows.manage"
    SECRETS_MANAGE = "secrets.manage"
    CHANNELS_MANAGE = "channels.manage"
    JOBS_READ = "jobs.read"
    JOBS_MANAGE = "jobs.manage"
    EXECUTIONS_READ_ALL = "executions.read_all"
    SLA_MANAGE = "sla.manage"
    INSIGHTS_READ = "insights.read"


BUILT_IN_ROLES: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "service_owner": frozenset(
        {
            Permission.USERS_READ,
            Permission.CATALOG_MANAGE,
            Permission.APPROVAL_DEFINITIONS_MANAGE,
            Permission.REQUESTS_READ_ALL,
            Permission.INSIGHTS_READ,
        }
    ),
    "automation_engineer": frozenset(
        {
            Permission.USERS_READ,
            Permission.RUNBOOKS_MANAGE,
            Permission.WORKFLOWS_MANAGE,
            Permission.SECRETS_MANAGE,
            Permission.CHANNELS_MANAGE,
            Permission.JOBS_READ,
            Permission.EXECUTIONS_READ_ALL,
            Permission.INSIGHTS_READ,
        }
    ),
    "fulfiller": frozenset({Permission.USERS_READ, Permission.REQUESTS_FULFILL, Permission.REQUESTS_READ_ALL}),
    "requester": frozenset(),
}


def permissions_for(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= BUILT_IN_ROLES.get(role, frozenset())
    return frozenset(granted)
