// Service portal: the active catalog grouped by category, with search and a category filter.
import { useState } from "react";
import { Link } from "react-router";

import { useDebouncedValue } from "../../components/hooks";
import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { type CatalogItem, useCatalog } from "../../api/itsm";
import "../../components/portal.css";

function byCategory(items: readonly CatalogItem[]): [string, CatalogItem[]][] {
  const groups = new Map<string, CatalogItem[]>();
  for (const item of items) groups.set(item.category, [...(groups.get(item.category) ?? []), item]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function PortalPage() {
  const [q, setQ] = useState("");
  const [category, setCategory] = useState("");
  const search = useDebouncedValue(q.trim(), 300);
  const catalog = useCatalog({ q: search, category });
  const items = catalog.data?.pages.flatMap((p) => p.items) ?? [];
  const everything = useCatalog({});
  const categories = [...new Set((everything.data?.pages.flatMap((p) => p.items) ?? []).map((i) => i.category))].sort();

  return (
    <>
      <PageHeader
        title="Service portal"
        description="Ask for what you need. Pick an item, fill in its form and follow your request."
        actions={
          <Link to="/portal/requests" className="button">
            My requests
          </Link>
        }
      />
      <form className="filters" role="search" aria-label="Search the catalog" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="catalog-search">Search</label>
          <input id="catalog-search" type="search" value={q} placeholder="Laptop, access, software…" onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="catalog-category">Category</label>
          <select id="catalog-category" value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
      </form>
      {catalog.isPending ? <Loading label="Loading the catalog…" /> : null}
      {catalog.isError ? <ErrorState error={catalog.error} onRetry={() => void catalog.refetch()} /> : null}
      {catalog.data && !items.length ? (
        <EmptyState title={search || category ? "Nothing matches your search" : "The catalog is empty"}>
          <p>{search || category ? "Try other words or all categories." : "A service owner has not published any item yet."}</p>
        </EmptyState>
      ) : null}
      {byCategory(items).map(([name, group]) => (
        <section key={name} className="section" aria-labelledby={`cat-${name}`}>
          <h2 id={`cat-${name}`}>{name}</h2>
          <ul className="catalog-grid">
            {group.map((item) => (
              <li key={item.id}>
                <Link to={`/portal/items/${item.id}`} className="catalog-card">
                  <h3>{item.name}</h3>
                  <span className="muted">{item.description || "No description."}</span>
                  {item.workflow_definition_id ? <span className="field-hint">Needs approval</span> : null}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ))}
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
