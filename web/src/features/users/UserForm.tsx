// Creating a user, and editing one (roles, active, manager, name, new password); the API validates, and its
// problem details land beside the fields.
import { type FormEvent, useRef, useState } from "react";

import { CheckboxField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { type User, type UserUpdate, useCreateUser, useUpdateUser } from "../../api/users";
import { DIRECTORY_HINT, userFieldEditable } from "../../components/directory";
import { RolePicker } from "./RolePicker";
import { UserName, UserPicker } from "../../components/UserPicker";

const FIELDS = ["email", "display_name", "password", "roles", "manager_id", "is_active"] as const;

function ManagerField({
  value,
  onChange,
  error,
  selfId,
}: {
  value: string | null;
  onChange: (id: string | null) => void;
  error?: string | undefined;
  selfId?: string;
}) {
  return (
    <fieldset className={error ? "field fieldset field--invalid" : "field fieldset"} data-invalid={error ? "" : undefined}>
      <legend>Manager</legend>
      <p className="manager-current">
        {value ? (
          <>
            <UserName id={value} />
            <button type="button" className="button button--ghost button--small" onClick={() => onChange(null)}>
              Remove manager
            </button>
          </>
        ) : (
          <span className="muted">No manager. Approval steps of type “manager” need one.</span>
        )}
      </p>
      <UserPicker
        label={value ? "Change manager" : "Find a manager"}
        pickLabel="Choose"
        exclude={[...(selfId ? [selfId] : []), ...(value ? [value] : [])]}
        onPick={(user) => onChange(user.id)}
      />
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}

export function CreateUserForm({ onDone, onCancel }: { onDone: (user: User) => void; onCancel: () => void }) {
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<string[]>([]);
  const [managerId, setManagerId] = useState<string | null>(null);
  const [active, setActive] = useState(true);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(create.error, FIELDS);
  useFocusOnError(create.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      {
        email: email.trim(),
        display_name: displayName.trim(),
        password: password || null,
        roles,
        manager_id: managerId,
        is_active: active,
      },
      { onSuccess: onDone },
    );
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="New user">
      <FormSummary errors={errors} title="The user was not created" />
      <TextField
        label="Email"
        name="email"
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        autoComplete="off"
        error={errors.fields.email}
        required
      />
      <TextField
        label="Display name"
        name="display_name"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        autoComplete="off"
        error={errors.fields.display_name}
        required
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoComplete="new-password"
        hint="At least 8 characters. Leave empty for a user who cannot sign in with a password yet."
        error={errors.fields.password}
      />
      <RolePicker value={roles} onChange={setRoles} error={errors.fields.roles} />
      <ManagerField value={managerId} onChange={setManagerId} error={errors.fields.manager_id} />
      <CheckboxField
        label="Active (can sign in)"
        name="is_active"
        checked={active}
        onChange={(e) => setActive(e.target.checked)}
        error={errors.fields.is_active}
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create user"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

export function EditUserForm({ user, onDone, onCancel }: { user: User; onDone: (user: User) => void; onCancel: () => void }) {
  const update = useUpdateUser();
  const [displayName, setDisplayName] = useState(user.display_name);
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [managerId, setManagerId] = useState<string | null>(user.manager_id ?? null);
  const [active, setActive] = useState(user.is_active);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(update.error, FIELDS);
  useFocusOnError(update.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: UserUpdate = {};
    if (displayName.trim() !== user.display_name) body.display_name = displayName.trim();
    if (password) body.password = password;
    if (!sameRoles(roles, user.roles)) body.roles = roles;
    if (managerId !== (user.manager_id ?? null)) body.manager_id = managerId;
    if (active !== user.is_active) body.is_active = active;
    if (!Object.keys(body).length) {
      onCancel();
      return;
    }
    update.mutate({ id: user.id, body }, { onSuccess: onDone });
  }

  // Only app roles stay editable on a user the directory keeps (SCIM); the API refuses the rest with 409.
  const locked = !userFieldEditable(user, "display_name");
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={`Edit ${user.display_name}`}>
      <FormSummary errors={errors} title="The changes were not saved" />
      <p className="muted">{user.email}</p>
      {locked ? <p className="field-hint">{DIRECTORY_HINT} App roles can still be changed here.</p> : null}
      <TextField
        label="Display name"
        name="display_name"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={errors.fields.display_name}
        disabled={locked}
        required
      />
      <RolePicker value={roles} onChange={setRoles} error={errors.fields.roles} />
      {locked ? null : <ManagerField value={managerId} onChange={setManagerId} error={errors.fields.manager_id} selfId={user.id} />}
      <CheckboxField
        disabled={locked}
        label="Active (can sign in)"
        name="is_active"
        checked={active}
        onChange={(e) => setActive(e.target.checked)}
        hint={user.is_active ? "Deactivating signs the user out everywhere." : undefined}
        error={errors.fields.is_active}
      />
      <TextField
        label="New password"
        name="password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoComplete="new-password"
        disabled={locked}
        hint="Leave empty to keep the current password. Setting one signs the user out everywhere."
        error={errors.fields.password}
      />
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
