// The recipients of an in-app channel: the users and groups whose inbox receives its notifications, each with
// Remove, and pickers to add more (group names are known only for groups picked in this form).
import { GroupPicker } from "../../components/GroupPicker";
import { UserName, UserPicker } from "../../components/UserPicker";
import type { ConfigDraft } from "./model";

function GroupLabel({ id }: { id: string }) {
  return <span className="mono">{id.slice(0, 8)}</span>;
}

export function InAppRecipients({
  draft,
  set,
  err,
  groupNames,
  onGroupPicked,
}: {
  draft: ConfigDraft;
  set: (patch: Partial<ConfigDraft>) => void;
  err: (field: string) => string | undefined;
  groupNames: Readonly<Record<string, string>>;
  onGroupPicked: (id: string, name: string) => void;
}) {
  return (
    <fieldset className={err("config.users") || err("config.groups") ? "fieldset field--invalid" : "fieldset"}>
      <legend>Recipients</legend>
      {draft.users.length || draft.groups.length ? (
        <ul className="plain-list" aria-label="Recipients">
          {draft.users.map((id) => (
            <li key={id} className="row-actions">
              <span>
                User <UserName id={id} />
              </span>
              <button type="button" className="button button--small button--ghost" onClick={() => set({ users: draft.users.filter((u) => u !== id) })}>
                Remove
              </button>
            </li>
          ))}
          {draft.groups.map((id) => (
            <li key={id} className="row-actions">
              <span>Group {groupNames[id] ?? <GroupLabel id={id} />}</span>
              <button type="button" className="button button--small button--ghost" onClick={() => set({ groups: draft.groups.filter((g) => g !== id) })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nobody yet: add users or groups whose in-app inbox receives the notifications.</p>
      )}
      {err("config.users") ? <p className="field-error">{err("config.users")}</p> : null}
      {err("config.groups") ? <p className="field-error">{err("config.groups")}</p> : null}
      <UserPicker label="Add a user" pickLabel="Add" exclude={draft.users} onPick={(user) => set({ users: [...draft.users, user.id] })} />
      <GroupPicker
        label="Add a group"
        onPick={(group) => {
          onGroupPicked(group.id, group.name);
          if (!draft.groups.includes(group.id)) set({ groups: [...draft.groups, group.id] });
        }}
      />
    </fieldset>
  );
}
