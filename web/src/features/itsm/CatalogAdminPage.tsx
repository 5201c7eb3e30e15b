// ITSM admin → Catalog items: every item (retired ones too), with what approves and fulfils it.
import { Link } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import "../../components/portal.css";
import { useCatalog } from "../../api/itsm";
import { StatusBadge } from "../../components/RecordParts";

export function CatalogAdminPage() {
  const catalog = useCatalog({ includeInactive: true });
  const items = catalog.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="Catalog items"
        description="What people can request, the form they fill in, who approves and how it is fulfilled."
        actions={
          <Link to="/itsm/catalog/new" className="button button--primary">
            New item
          </Link>
        }
      />
      {catalog.isPending ? <Loading label="Loading the catalog…" /> : null}
      {catalog.isError ? <ErrorState error={catalog.error} onRetry={() => void catalog.refetch()} /> : null}
      {catalog.data && !items.length ? (
        <EmptyState
          title="No catalog items yet"
          action={
            <Link to="/itsm/catalog/new" className="button button--primary">
              Create the first item
            </Link>
          }
        />
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={catalog.isFetching}>
          <caption className="visually-hidden">Catalog items</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Category</th>
              <th scope="col">Form</th>
              <th scope="col">Approval</th>
              <th scope="col">Fulfillment</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td data-label="Name">
                  <Link to={`/itsm/catalog/${item.id}`} className="cell-title">
                    {item.name}
                  </Link>
                </td>
                <td data-label="Category">{item.category}</td>
                <td data-label="Form">{item.variables.length} fields</td>
                <td data-label="Approval">{item.workflow_definition_id ? "Yes" : <span className="muted">None</span>}</td>
                <td data-label="Fulfillment">{item.fulfillment_type}</td>
                <td data-label="State">
                  <StatusBadge status={item.active ? "active" : "retired"} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {catalog.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={catalog.isFetchingNextPage} onClick={() => void catalog.fetchNextPage()}>
            {catalog.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}
