// The app's navigation: each entry names the permission (from /api/me) a user needs to see it.
export interface NavItem {
  to: string;
  label: string;
  permission?: string;
  end?: boolean;
}

export interface NavSection {
  label?: string;
  items: NavItem[];
}

export const NAVIGATION: NavSection[] = [
  { items: [{ to: "/", label: "Dashboard", end: true }] },
  {
    label: "Service desk",
    items: [
      { to: "/portal", label: "Service portal", end: true },
      { to: "/portal/requests", label: "My requests" },
      { to: "/approvals", label: "Approvals" },
      { to: "/insights", label: "Insights", permission: "insights.read" },
    ],
  },
  {
    label: "ITSM",
    items: [
      { to: "/itsm/fulfillment", label: "Fulfillment queue", permission: "requests.fulfill" },
      { to: "/itsm/changes", label: "Changes", permission: "requests.read_all" },
      { to: "/itsm/catalog", label: "Catalog items", permission: "catalog.manage" },
      { to: "/itsm/approval-definitions", label: "Approval definitions", permission: "approval_definitions.manage" },
      { to: "/admin/service-levels", label: "Service levels", permission: "sla.manage" },
    ],
  },
  {
    label: "Automation",
    items: [
      { to: "/workflows", label: "Workflows", permission: "workflows.manage" },
      { to: "/executions", label: "Executions", permission: "workflows.manage" },
      { to: "/runbooks", label: "Runbooks", permission: "runbooks.manage" },
    ],
  },
  {
    label: "Administration",
    items: [
      { to: "/admin/users", label: "Users", permission: "users.read" },
      { to: "/admin/groups", label: "Groups", permission: "users.read" },
      { to: "/admin/roles", label: "Roles", permission: "users.read" },
      { to: "/admin/audit", label: "Audit log", permission: "audit.read" },
      { to: "/admin/jobs", label: "Jobs", permission: "jobs.read" },
      { to: "/admin/tenant", label: "Tenant settings", permission: "users.manage" },
      { to: "/admin/identity-provider", label: "Single sign-on", permission: "users.manage" },
      { to: "/admin/scim", label: "SCIM provisioning", permission: "users.manage" },
      { to: "/admin/secrets", label: "Secrets", permission: "secrets.manage" },
      { to: "/admin/notification-channels", label: "Notification channels", permission: "channels.manage" },
      { to: "/admin/slack", label: "Slack", permission: "channels.manage" },
    ],
  },
];

export function visibleNavigation(permissions: readonly string[]): NavSection[] {
  return NAVIGATION.map((section) => ({
    ...section,
    items: section.items.filter((item) => !item.permission || permissions.includes(item.permission)),
  })).filter((section) => section.items.length > 0);
}

/** Where to go after signing in: a path of this app, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next.startsWith("/sign-in") ? "/" : next;
}
