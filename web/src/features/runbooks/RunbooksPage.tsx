// Automation → Runbooks: search, cursor pages, empty state; each opens in the editor.
import { useState } from "react";
import { Link } from "react-router";

import { useDebouncedValue } from "../../components/hooks";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import "../../components/automation.css";
import { useRunbooks } from "./api";
import { Pager } from "../../components/Pager";

export function RunbooksPage() {
  const [q, setQ] = useState("");
  const search = useDebouncedValue(q.trim(), 300);
  const [cursors, setCursors] = useState<string[]>([]);
  const [searched, setSearched] = useState("");
  if (search !== searched) {
    setSearched(search);
    setCursors([]);
  }
  const runbooks = useRunbooks(search, cursors[cursors.length - 1]);
  const items = runbooks.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Runbooks"
        description="Scripted actions (shell, python, http, built-ins) that workflows and people run with parameters."
        actions={
          <Link className="button button--primary" to="/runbooks/new">
            New runbook
          </Link>
        }
      />
      <form className="filters" role="search" aria-label="Search runbooks" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="runbooks-search">Search</label>
          <input id="runbooks-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name" />
        </div>
      </form>
      {runbooks.isPending ? <Loading label="Loading runbooks…" /> : null}
      {runbooks.isError ? <ErrorState error={runbooks.error} onRetry={() => void runbooks.refetch()} /> : null}
      {runbooks.data && !items.length ? (
        <EmptyState
          title={search ? "No runbook matches this search" : "No runbooks yet"}
          action={
            search ? (
              <button type="button" className="button" onClick={() => setQ("")}>
                Clear the search
              </button>
            ) : (
              <Link className="button button--primary" to="/runbooks/new">
                Create the first runbook
              </Link>
            )
          }
        >
          {search ? null : <p>A runbook is an ordered list of actions with a parameters schema and a timeout.</p>}
        </EmptyState>
      ) : null}
      {items.length ? (
        <>
          <table className="table" aria-busy={runbooks.isFetching}>
            <caption className="visually-hidden">Runbooks</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((runbook) => (
                <tr key={runbook.id}>
                  <td data-label="Name">
                    <Link className="cell-title" to={`/runbooks/${runbook.id}`}>
                      {runbook.name}
                    </Link>
                    {runbook.description ? <span className="muted cell-sub">{runbook.description}</span> : null}
                  </td>
                  <td data-label="Version">{runbook.version}</td>
                  <td data-label="Updated">
                    <DateTime value={runbook.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of runbooks" cursors={cursors} setCursors={setCursors} next={runbooks.data?.next_cursor} busy={runbooks.isFetching} />
        </>
      ) : null}
    </>
  );
}
