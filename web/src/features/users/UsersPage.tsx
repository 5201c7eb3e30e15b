// Admin → Users: search and filter (kept in the URL), cursor pages, create and edit in a dialog.
import { useState } from "react";
import { useSearchParams } from "react-router";

import { usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { SelectField } from "../../components/Field";
import { useDebouncedValue } from "../../components/hooks";
import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { useRoles } from "../../api/roles";
import { type User, useUsers } from "../../api/users";
import { CreateUserForm, EditUserForm } from "./UserForm";
import { UsersTable } from "./UsersTable";
import { Pager } from "../../components/Pager";

const PAGE_SIZE = 25;

function activeFilter(value: string | null): boolean | undefined {
  return value === "active" ? true : value === "inactive" ? false : undefined;
}

export function UsersPage() {
  const canManage = usePermission("users.manage");
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(params.get("q") ?? "");
  const search = useDebouncedValue(q.trim(), 300);
  const role = params.get("role") ?? "";
  const status = params.get("status") ?? "";
  const [cursors, setCursors] = useState<string[]>([]);
  const [filterKey, setFilterKey] = useState("");
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const roles = useRoles();

  // A new search or filter starts again at the first page.
  const key = `${search}|${role}|${status}`;
  if (key !== filterKey) {
    setFilterKey(key);
    setCursors([]);
  }
  const cursor = cursors[cursors.length - 1];
  const users = useUsers({ q: search, role, active: activeFilter(status), cursor, limit: PAGE_SIZE });

  function setParam(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  function onSearch(value: string) {
    setQ(value);
    setParam("q", value.trim());
  }

  const filtered = Boolean(search || role || status);

  return (
    <>
      <PageHeader
        title="Users"
        description="People who can sign in to this tenant, their roles and managers."
        actions={
          canManage ? (
            <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
              New user
            </button>
          ) : null
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <form className="filters" role="search" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="users-search">Search</label>
          <input id="users-search" type="search" value={q} onChange={(e) => onSearch(e.target.value)} placeholder="Name or email" />
        </div>
        <SelectField label="Role" name="role" value={role} onChange={(e) => setParam("role", e.target.value)}>
          <option value="">All roles</option>
          {(roles.data?.items ?? []).map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" name="status" value={status} onChange={(e) => setParam("status", e.target.value)}>
          <option value="">Active and inactive</option>
          <option value="active">Active</option>
          <option value="inactive">Inactive</option>
        </SelectField>
      </form>

      {users.isPending ? <Loading label="Loading users…" /> : null}
      {users.isError ? <ErrorState error={users.error} onRetry={() => void users.refetch()} /> : null}
      {users.data && !users.data.items.length ? (
        <EmptyState
          title={filtered ? "No user matches these filters" : "No users yet"}
          action={
            filtered ? (
              <button
                type="button"
                className="button"
                onClick={() => {
                  setQ("");
                  setParams(new URLSearchParams(), { replace: true });
                }}
              >
                Clear filters
              </button>
            ) : null
          }
        />
      ) : null}
      {users.data && users.data.items.length ? (
        <>
          <UsersTable users={users.data.items} busy={users.isFetching} filtered={filtered} canManage={canManage} onEdit={setEditing} />
          <Pager label="Pages of users" cursors={cursors} setCursors={setCursors} next={users.data?.next_cursor} busy={users.isFetching} />
        </>
      ) : null}

      <Dialog open={creating} onClose={() => setCreating(false)} title="New user" wide>
        <CreateUserForm
          onCancel={() => setCreating(false)}
          onDone={(user) => {
            setCreating(false);
            setNotice(`User ${user.email} created.`);
          }}
        />
      </Dialog>
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing ? `Edit ${editing.display_name}` : "Edit user"} wide>
        {editing ? (
          <EditUserForm
            user={editing}
            onCancel={() => setEditing(null)}
            onDone={(user) => {
              setEditing(null);
              setNotice(`Changes to ${user.email} saved.`);
            }}
          />
        ) : null}
      </Dialog>
    </>
  );
}
