import { Link } from "react-router";

import { EmptyState } from "../components/States";
import { PageHeader } from "../components/Page";

export function ForbiddenPage({ permission }: { permission: string }) {
  return (
    <>
      <PageHeader title="Not allowed" />
      <EmptyState title="You do not have access to this page" action={<Link to="/">Back to the dashboard</Link>}>
        <p>
          It needs the <code>{permission}</code> permission. Ask a tenant administrator for a role that grants it.
        </p>
      </EmptyState>
    </>
  );
}
