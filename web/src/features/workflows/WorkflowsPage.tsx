// /workflows (where /workflow redirects): the automation workflow list arrives with the workflow builder slice.
import { Link } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState } from "../../components/States";

export function WorkflowsPage() {
  return (
    <>
      <PageHeader title="Automation workflows" description="Runbook chains with approvals, conditions, notifications and delays." />
      <EmptyState title="The workflow builder is not available in this version yet" action={<Link to="/">Back to the dashboard</Link>}>
        <p>
          Workflows can be managed through the API meanwhile; see <a href="/docs">the API documentation</a>.
        </p>
      </EmptyState>
    </>
  );
}
