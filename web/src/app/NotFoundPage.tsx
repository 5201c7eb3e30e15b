import { Link, useLocation } from "react-router";

import { EmptyState } from "../components/States";
import { PageHeader } from "../components/Page";

export function NotFoundPage() {
  const location = useLocation();
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no page at this address" action={<Link to="/">Go to the dashboard</Link>}>
        <p>
          <code>{location.pathname}</code> does not exist. Check the address, or use the navigation.
        </p>
      </EmptyState>
    </>
  );
}
