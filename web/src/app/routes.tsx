// Every page of the app and the permission each needs; the server answers index.html for all of them.
import type { ReactNode } from "react";
import { createBrowserRouter } from "react-router";

import { ActionLinkPage } from "../features/approvals/ActionLinkPage";
import { DefinitionEditorPage } from "../features/approvals/DefinitionEditorPage";
import { DefinitionsPage } from "../features/approvals/DefinitionsPage";
import { ApprovalPage, GatePage, InboxPage } from "../features/approvals/InboxPage";
import { AuditPage } from "../features/audit/AuditPage";
import { DashboardPage } from "../features/dashboard/DashboardPage";
import { GroupDetailPage } from "../features/groups/GroupDetailPage";
import { GroupsPage } from "../features/groups/GroupsPage";
import { CatalogAdminPage } from "../features/itsm/CatalogAdminPage";
import { CatalogItemEditorPage } from "../features/itsm/CatalogItemEditorPage";
import { ChangeDetailPage, ChangesPage } from "../features/itsm/ChangesPage";
import { FulfilmentQueuePage } from "../features/itsm/FulfilmentQueuePage";
import { JobsPage } from "../features/jobs/JobsPage";
import { MyRequestsPage } from "../features/portal/MyRequestsPage";
import { PortalPage } from "../features/portal/PortalPage";
import { RequestDetailPage } from "../features/portal/RequestDetailPage";
import { RequestItemPage } from "../features/portal/RequestItemPage";
import { ChannelsPage } from "../features/notifications/ChannelsPage";
import { NoticesPage } from "../features/notifications/NoticesPage";
import { RolesPage } from "../features/roles/RolesPage";
import { RunbookEditorPage } from "../features/runbooks/RunbookEditorPage";
import { RunbooksPage } from "../features/runbooks/RunbooksPage";
import { SecretsPage } from "../features/secrets/SecretsPage";
import { SignInPage } from "../features/session/SignInPage";
import { TenantSettingsPage } from "../features/tenant/TenantSettingsPage";
import { IdentityProviderPage } from "../features/identity-provider/IdentityProviderPage";
import { ScimTokensPage } from "../features/scim/ScimTokensPage";
import { SlackAppPage } from "../features/slack/SlackAppPage";
import { ServiceLevelsPage } from "../features/sla/ServiceLevelsPage";
import { UsersPage } from "../features/users/UsersPage";
import { WorkflowsPage } from "../features/workflows/WorkflowsPage";
import { ExecutionsPage } from "../features/executions/ExecutionsPage";
import { ExecutionPage, InsightsPage, WorkflowBuilderPage } from "./lazyPages";
import { AppShell } from "./AppShell";
import { NotFoundPage } from "./NotFoundPage";
import { RouteError } from "./RouteError";
import { RequirePermission, RequireSignIn } from "./session";

const guarded = (permission: string, page: ReactNode) => <RequirePermission permission={permission}>{page}</RequirePermission>;

export function createAppRouter() {
  return createBrowserRouter([
    { path: "/sign-in", element: <SignInPage />, errorElement: <RouteError /> },
    // A signed approve / reject link from a notice: its token is the credential, so no sign-in around it.
    { path: "/action/:token", element: <ActionLinkPage />, errorElement: <RouteError /> },
    {
      path: "/",
      element: (
        <RequireSignIn>
          <AppShell />
        </RequireSignIn>
      ),
      errorElement: <RouteError />,
      children: [
        { index: true, element: <DashboardPage /> },
        { path: "portal", element: <PortalPage /> },
        { path: "portal/items/:itemId", element: <RequestItemPage /> },
        { path: "portal/requests", element: <MyRequestsPage /> },
        { path: "portal/requests/:requestId", element: <RequestDetailPage /> },
        { path: "notifications", element: <NoticesPage /> },
        { path: "approvals", element: <InboxPage /> },
        { path: "approvals/:instanceId", element: <ApprovalPage /> },
        { path: "approvals/instances/:instanceId", element: <ApprovalPage /> },
        { path: "approvals/gates/:gateId", element: <GatePage /> },
        { path: "insights", element: guarded("insights.read", <InsightsPage />) },
        { path: "itsm/fulfillment", element: guarded("requests.fulfill", <FulfilmentQueuePage />) },
        { path: "itsm/changes", element: guarded("requests.read_all", <ChangesPage />) },
        { path: "itsm/changes/:changeId", element: <ChangeDetailPage /> },
        { path: "itsm/catalog", element: guarded("catalog.manage", <CatalogAdminPage />) },
        { path: "itsm/catalog/:itemId", element: guarded("catalog.manage", <CatalogItemEditorPage />) },
        { path: "itsm/approval-definitions", element: guarded("approval_definitions.manage", <DefinitionsPage />) },
        { path: "itsm/approval-definitions/:definitionId", element: guarded("approval_definitions.manage", <DefinitionEditorPage />) },
        { path: "runbooks", element: guarded("runbooks.manage", <RunbooksPage />) },
        { path: "runbooks/new", element: guarded("runbooks.manage", <RunbookEditorPage />) },
        { path: "runbooks/:runbookId", element: guarded("runbooks.manage", <RunbookEditorPage />) },
        { path: "admin/users", element: guarded("users.read", <UsersPage />) },
        { path: "admin/groups", element: guarded("users.read", <GroupsPage />) },
        { path: "admin/groups/:groupId", element: guarded("users.read", <GroupDetailPage />) },
        { path: "admin/roles", element: guarded("users.read", <RolesPage />) },
        { path: "admin/audit", element: guarded("audit.read", <AuditPage />) },
        { path: "admin/secrets", element: guarded("secrets.manage", <SecretsPage />) },
        { path: "admin/notification-channels", element: guarded("channels.manage", <ChannelsPage />) },
        { path: "admin/jobs", element: guarded("jobs.read", <JobsPage />) },
        { path: "admin/tenant", element: guarded("users.manage", <TenantSettingsPage />) },
        { path: "admin/identity-provider", element: guarded("users.manage", <IdentityProviderPage />) },
        { path: "admin/scim", element: guarded("users.manage", <ScimTokensPage />) },
        { path: "admin/slack", element: guarded("channels.manage", <SlackAppPage />) },
        { path: "admin/service-levels", element: guarded("sla.manage", <ServiceLevelsPage />) },
        { path: "workflows", element: <WorkflowsPage /> },
        { path: "workflows/new", element: guarded("workflows.manage", <WorkflowBuilderPage />) },
        { path: "workflows/:workflowId", element: guarded("workflows.manage", <WorkflowBuilderPage />) },
        { path: "executions", element: <ExecutionsPage /> },
        { path: "executions/:executionId", element: <ExecutionPage /> },
        { path: "*", element: <NotFoundPage /> },
      ],
    },
  ]);
}
