// ITSM admin → Approval definitions: the list, each with its ladder at a glance.
import { Link } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import "../../components/portal.css";
import { useDefinitions } from "../../api/approvals";

export function DefinitionsPage() {
  const definitions = useDefinitions();
  const items = definitions.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="Approval definitions"
        description="Ordered approval ladders that catalog items and changes run before work starts."
        actions={
          <Link to="/itsm/approval-definitions/new" className="button button--primary">
            New definition
          </Link>
        }
      />
      {definitions.isPending ? <Loading label="Loading definitions…" /> : null}
      {definitions.isError ? <ErrorState error={definitions.error} onRetry={() => void definitions.refetch()} /> : null}
      {definitions.data && !items.length ? (
        <EmptyState
          title="No approval definitions yet"
          action={
            <Link to="/itsm/approval-definitions/new" className="button button--primary">
              Create the first one
            </Link>
          }
        >
          <p>For example: the requester's manager, then the change advisory board.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={definitions.isFetching}>
          <caption className="visually-hidden">Approval definitions</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Ladder</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td data-label="Name">
                  <Link to={`/itsm/approval-definitions/${d.id}`} className="cell-title">
                    {d.name}
                  </Link>
                </td>
                <td data-label="Ladder">
                  {[...d.steps]
                    .sort((a, b) => a.order - b.order)
                    .map((s) => `${s.order}. ${s.name}`)
                    .join(" → ")}
                </td>
                <td data-label="Version">{d.version}</td>
                <td data-label="Status">{d.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {definitions.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={definitions.isFetchingNextPage} onClick={() => void definitions.fetchNextPage()}>
            {definitions.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}
