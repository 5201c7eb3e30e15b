// Admin → Secrets: the names of the tenant's secrets (values are write-only: the API never returns them),
// create one, replace its value, delete it.
import { type FormEvent, useRef, useState } from "react";

import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import "../../components/automation.css";
import { type Secret, useCreateSecret, useDeleteSecret, useReplaceSecret, useSecrets } from "../../api/secrets";
import { Pager } from "../../components/Pager";

const PAGE_SIZE = 50;

function SecretForm({ secret, onDone, onCancel }: { secret?: Secret | undefined; onDone: (name: string) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const create = useCreateSecret();
  const replace = useReplaceSecret();
  const mutation = secret ? replace : create;
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(mutation.error, ["name", "value"]);
  useFocusOnError(mutation.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (secret) replace.mutate({ id: secret.id, value }, { onSuccess: () => onDone(secret.name) });
    else create.mutate({ name: name.trim(), value }, { onSuccess: (saved) => onDone(saved.name) });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={secret ? `Replace the value of ${secret.name}` : "New secret"}>
      <FormSummary errors={errors} />
      {secret ? null : (
        <TextField
          label="Name"
          name="name"
          required
          autoComplete="off"
          spellCheck={false}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.fields.name}
          hint="Upper-case letters, digits and _ (e.g. DB_PASSWORD): scripts read it as an environment variable of this name."
        />
      )}
      <TextAreaField
        label={secret ? "New value" : "Value"}
        name="value"
        required
        rows={3}
        autoComplete="off"
        spellCheck={false}
        className="code-input"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={errors.fields.value}
        hint="Stored encrypted and masked in logs; it cannot be shown again."
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : secret ? "Replace value" : "Create secret"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function SecretsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const secrets = useSecrets(cursors[cursors.length - 1], PAGE_SIZE);
  const [editing, setEditing] = useState<Secret | "new" | null>(null);
  const [deleting, setDeleting] = useState<Secret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useDeleteSecret();
  const items = secrets.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Secrets"
        description="Values runbooks need (passwords, tokens). Only names are shown: a value can be replaced, never read back."
        actions={
          <button type="button" className="button button--primary" onClick={() => setEditing("new")}>
            New secret
          </button>
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {secrets.isPending ? <Loading label="Loading secrets…" /> : null}
      {secrets.isError ? <ErrorState error={secrets.error} onRetry={() => void secrets.refetch()} /> : null}
      {secrets.data && !items.length ? (
        <EmptyState
          title="No secrets yet"
          action={
            <button type="button" className="button button--primary" onClick={() => setEditing("new")}>
              Create the first secret
            </button>
          }
        >
          <p>A runbook lists the secrets it needs; each reaches its scripts as an environment variable.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <>
          <table className="table" aria-busy={secrets.isFetching}>
            <caption className="visually-hidden">Secrets</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value last set</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((secret) => (
                <tr key={secret.id}>
                  <td data-label="Name">
                    <span className="cell-title mono">{secret.name}</span>
                  </td>
                  <td data-label="Value last set">
                    <DateTime value={secret.updated_at} />
                  </td>
                  <td data-label="Actions" className="cell-actions">
                    <div className="row-actions">
                      <button type="button" className="button button--small" onClick={() => setEditing(secret)} aria-label={`Replace the value of ${secret.name}`}>
                        Replace value
                      </button>
                      <button type="button" className="button button--small button--ghost" onClick={() => setDeleting(secret)} aria-label={`Delete ${secret.name}`}>
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursors.length || secrets.data?.next_cursor ? (
            <Pager label="Pages of secrets" cursors={cursors} setCursors={setCursors} next={secrets.data?.next_cursor} />
          ) : null}
        </>
      ) : null}
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing && editing !== "new" ? `Replace the value of ${editing.name}` : "New secret"}>
        {editing ? (
          <SecretForm
            key={editing === "new" ? "new" : editing.id}
            secret={editing === "new" ? undefined : editing}
            onCancel={() => setEditing(null)}
            onDone={(name) => {
              setNotice(editing === "new" ? `Secret ${name} created.` : `The value of ${name} was replaced.`);
              setEditing(null);
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete ${deleting.name}?` : "Delete secret"}
        confirmLabel="Delete"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (!deleting) return;
          const name = deleting.name;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              setDeleting(null);
              setNotice(`Secret ${name} deleted.`);
            },
          });
        }}
      >
        <p>Runbooks that list it will fail when they run until it is created again.</p>
      </ConfirmDialog>
    </>
  );
}
