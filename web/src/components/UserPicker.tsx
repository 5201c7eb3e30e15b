// Finding a user by name or email and picking one (group members, managers); keyboard and screen-reader friendly.
import { useId, useState } from "react";

import { describeError } from "../api/problem";
import { useDebouncedValue } from "./hooks";
import { type User, useUser, useUsers } from "../api/users";

export function UserPicker({
  label,
  onPick,
  exclude = [],
  pickLabel = "Select",
  disabled = false,
}: {
  label: string;
  onPick: (user: User) => void;
  exclude?: readonly string[];
  pickLabel?: string;
  disabled?: boolean;
}) {
  const [q, setQ] = useState("");
  const search = useDebouncedValue(q.trim(), 250);
  const users = useUsers({ q: search, active: true, limit: 8 });
  const id = useId();
  const results = (users.data?.items ?? []).filter((u) => !exclude.includes(u.id));

  let status: string;
  const searching = users.isPending || (users.isFetching && users.isPlaceholderData) || q.trim() !== search;
  if (searching) status = "Searching…";
  else if (users.isError) status = describeError(users.error);
  else if (!results.length) status = search ? `No active user matches “${search}”.` : "No users to pick.";
  else status = `${results.length} ${results.length === 1 ? "user" : "users"} shown.`;

  return (
    <div className="picker">
      <label htmlFor={`${id}-q`}>{label}</label>
      <input
        id={`${id}-q`}
        type="search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") e.preventDefault();
        }}
        placeholder="Type a name or email"
        autoComplete="off"
        aria-controls={`${id}-results`}
        aria-describedby={`${id}-status`}
        disabled={disabled}
      />
      <p id={`${id}-status`} className="field-hint" role="status" aria-live="polite">
        {status}
      </p>
      {results.length ? (
        <ul id={`${id}-results`} className="picker-results" aria-label="Matching users" aria-busy={searching}>
          {results.map((user) => (
            <li key={user.id}>
              <span className="picker-user">
                <span>{user.display_name}</span>
                <span className="muted">{user.email}</span>
              </span>
              <button
                type="button"
                className="button button--small"
                disabled={disabled}
                onClick={() => onPick(user)}
                aria-label={`${pickLabel} ${user.display_name} (${user.email})`}
              >
                {pickLabel}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A user's display name from their id (cached), for tables that only have the id. */
export function UserName({ id }: { id: string | null | undefined }) {
  const user = useUser(id);
  if (!id) return <span className="muted">—</span>;
  if (user.isPending) return <span className="muted">…</span>;
  if (user.isError) return <span className="muted">Unknown user</span>;
  return <span title={user.data.email}>{user.data.display_name}</span>;
}
