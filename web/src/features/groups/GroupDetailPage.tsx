// One group: rename or delete it, list its members, add members with a user search, remove members.
import { type FormEvent, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { ApiError, describeError } from "../../api/problem";
import { usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { DirectoryBadge } from "../../components/Directory";
import { DIRECTORY_HINT, isDirectoryManaged } from "../../components/directory";
import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { UserPicker } from "../../components/UserPicker";
import { type Group, useAddMember, useDeleteGroup, useGroup, useGroupMembers, useRemoveMember, useUpdateGroup } from "../../api/groups";

const FIELDS = ["name", "description"] as const;

function EditGroupForm({ group, onDone, onCancel }: { group: Group; onDone: () => void; onCancel: () => void }) {
  const update = useUpdateGroup(group.id);
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(update.error, FIELDS);
  useFocusOnError(update.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ name: name.trim(), description: description.trim() }, { onSuccess: onDone });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="Edit group">
      <FormSummary errors={errors} title="The changes were not saved" />
      <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <TextAreaField label="Description" name="description" value={description} rows={3} onChange={(e) => setDescription(e.target.value)} error={errors.fields.description} />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Members({ group, canManage }: { group: Group; canManage: boolean }) {
  const members = useGroupMembers(group.id);
  const add = useAddMember(group.id);
  const remove = useRemoveMember(group.id);
  const [notice, setNotice] = useState<string | null>(null);
  const items = members.data?.pages.flatMap((p) => p.items) ?? [];
  const actionError = add.error ?? remove.error;

  return (
    <section className="section" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {actionError ? (
        <div className="form-summary" role="alert">
          <p className="form-summary-title">{describeError(actionError)}</p>
        </div>
      ) : null}
      {canManage ? (
        <div className="panel">
          <UserPicker
            label="Add a member"
            pickLabel="Add"
            exclude={items.map((u) => u.id)}
            disabled={add.isPending}
            onPick={(user) => {
              remove.reset();
              add.mutate(user.id, { onSuccess: () => setNotice(`${user.display_name} added to ${group.name}.`) });
            }}
          />
        </div>
      ) : null}
      {members.isPending ? <Loading label="Loading members…" /> : null}
      {members.isError ? <ErrorState error={members.error} onRetry={() => void members.refetch()} /> : null}
      {members.data && !items.length ? (
        <EmptyState title="This group has no members yet">{canManage ? <p>Search for a user above to add them.</p> : null}</EmptyState>
      ) : null}
      {items.length ? (
        <table className="table">
          <caption className="visually-hidden">Members of {group.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {items.map((user) => (
              <tr key={user.id}>
                <td data-label="Name">{user.display_name}</td>
                <td data-label="Email">{user.email}</td>
                {canManage ? (
                  <td data-label="Actions" className="cell-actions">
                    <button
                      type="button"
                      className="button button--small button--danger"
                      disabled={remove.isPending}
                      aria-label={`Remove ${user.display_name} from ${group.name}`}
                      onClick={() => {
                        add.reset();
                        remove.mutate(user.id, { onSuccess: () => setNotice(`${user.display_name} removed from ${group.name}.`) });
                      }}
                    >
                      Remove
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {members.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={members.isFetchingNextPage} onClick={() => void members.fetchNextPage()}>
            {members.isFetchingNextPage ? "Loading…" : "Load more members"}
          </button>
        </div>
      ) : null}
    </section>
  );
}

export function GroupDetailPage() {
  const { groupId = "" } = useParams();
  const canManage = usePermission("groups.manage");
  const group = useGroup(groupId);
  const remove = useDeleteGroup(groupId);
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  if (group.isPending) return <Loading label="Loading group…" />;
  if (group.isError) {
    const missing = group.error instanceof ApiError && (group.error.status === 404 || group.error.status === 422);
    return (
      <>
        <PageHeader title={missing ? "Group not found" : "Group"} />
        {missing ? (
          <EmptyState title="This group does not exist" action={<Link to="/admin/groups">Back to groups</Link>}>
            <p>It may have been deleted.</p>
          </EmptyState>
        ) : (
          <ErrorState error={group.error} onRetry={() => void group.refetch()} />
        )}
      </>
    );
  }

  // A group the directory keeps (SCIM) is changed there: no edit, delete or membership changes here.
  const handEditable = canManage && !isDirectoryManaged(group.data);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/groups">Groups</Link>
      </p>
      <PageHeader
        title={group.data.name}
        description={
          isDirectoryManaged(group.data) ? (
            <>
              <DirectoryBadge row={group.data} /> {DIRECTORY_HINT}
            </>
          ) : (
            group.data.description || undefined
          )
        }
        actions={
          handEditable ? (
            <>
              <button type="button" className="button" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="button button--danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            </>
          ) : null
        }
      />
      <Members group={group.data} canManage={handEditable} />
      <Dialog open={editing} onClose={() => setEditing(false)} title="Edit group">
        <EditGroupForm group={group.data} onCancel={() => setEditing(false)} onDone={() => setEditing(false)} />
      </Dialog>
      <Dialog open={confirmDelete} onClose={() => setConfirmDelete(false)} title={`Delete ${group.data.name}?`}>
        <p>Members keep their accounts; approval steps that target this group will need another approver.</p>
        {remove.error ? (
          <p className="field-error" role="alert">
            {describeError(remove.error)}
          </p>
        ) : null}
        <div className="form-actions">
          <button
            type="button"
            className="button button--danger"
            data-autofocus
            disabled={remove.isPending}
            onClick={() => remove.mutate(undefined, { onSuccess: () => void navigate("/admin/groups", { replace: true }) })}
          >
            {remove.isPending ? "Deleting…" : "Delete group"}
          </button>
          <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </>
  );
}
