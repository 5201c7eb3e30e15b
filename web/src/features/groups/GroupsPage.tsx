// Admin → Groups: search, cursor pages, create a group; each group links to its members.
import { type FormEvent, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { useDebouncedValue } from "../../components/hooks";
import { DirectoryBadge } from "../../components/Directory";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { type Group, useCreateGroup, useGroups } from "../../api/groups";
import { Pager } from "../../components/Pager";

const FIELDS = ["name", "description"] as const;

function CreateGroupForm({ onDone, onCancel }: { onDone: (group: Group) => void; onCancel: () => void }) {
  const create = useCreateGroup();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(create.error, FIELDS);
  useFocusOnError(create.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: name.trim(), description: description.trim() }, { onSuccess: onDone });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="New group">
      <FormSummary errors={errors} title="The group was not created" />
      <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <TextAreaField
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        rows={3}
        error={errors.fields.description}
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create group"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function GroupsPage() {
  const canManage = usePermission("groups.manage");
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(params.get("q") ?? "");
  const search = useDebouncedValue(q.trim(), 300);
  const [cursors, setCursors] = useState<string[]>([]);
  const [searched, setSearched] = useState(search);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  if (searched !== search) {
    setSearched(search);
    setCursors([]);
  }
  const groups = useGroups(search, cursors[cursors.length - 1]);

  return (
    <>
      <PageHeader
        title="Groups"
        description="Teams that approval steps and notifications can target."
        actions={
          canManage ? (
            <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
              New group
            </button>
          ) : null
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <form className="filters" role="search" aria-label="Filter groups" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="groups-search">Search</label>
          <input
            id="groups-search"
            type="search"
            value={q}
            placeholder="Group name"
            onChange={(e) => {
              setQ(e.target.value);
              setParams(e.target.value.trim() ? { q: e.target.value.trim() } : {}, { replace: true });
            }}
          />
        </div>
      </form>
      {groups.isPending ? <Loading label="Loading groups…" /> : null}
      {groups.isError ? <ErrorState error={groups.error} onRetry={() => void groups.refetch()} /> : null}
      {groups.data && !groups.data.items.length ? (
        <EmptyState
          title={search ? `No group matches “${search}”` : "No groups yet"}
          action={
            canManage && !search ? (
              <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
                Create the first group
              </button>
            ) : null
          }
        >
          {!search ? <p>Groups collect users, for example a change advisory board or a service desk team.</p> : null}
        </EmptyState>
      ) : null}
      {groups.data && groups.data.items.length ? (
        <>
          <table className="table" aria-busy={groups.isFetching}>
            <caption className="visually-hidden">Groups</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {groups.data.items.map((group) => (
                <tr key={group.id}>
                  <td data-label="Name">
                    <Link to={`/admin/groups/${group.id}`} className="cell-title">
                      {group.name}
                    </Link>{" "}
                    <DirectoryBadge row={group} />
                  </td>
                  <td data-label="Description">{group.description || <span className="muted">—</span>}</td>
                  <td data-label="Created">
                    <DateTime value={group.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of groups" cursors={cursors} setCursors={setCursors} next={groups.data.next_cursor} />
        </>
      ) : null}
      <Dialog open={creating} onClose={() => setCreating(false)} title="New group">
        <CreateGroupForm
          onCancel={() => setCreating(false)}
          onDone={(group) => {
            setCreating(false);
            setNotice(`Group ${group.name} created.`);
          }}
        />
      </Dialog>
    </>
  );
}
