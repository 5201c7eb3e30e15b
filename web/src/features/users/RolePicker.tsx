// Choosing a user's roles: the built-in permission roles and the labels in use, plus any new label.
import { type KeyboardEvent, useId, useState } from "react";

import { Loading } from "../../components/States";
import { ROLE_DESCRIPTIONS, useRoles } from "../../api/roles";

export function RolePicker({
  value,
  onChange,
  error,
}: {
  value: string[];
  onChange: (roles: string[]) => void;
  error?: string | undefined;
}) {
  const roles = useRoles();
  const [label, setLabel] = useState("");
  const id = useId();
  const errorId = `${id}-error`;
  const known = roles.data?.items.map((r) => r.name) ?? Object.keys(ROLE_DESCRIPTIONS);
  const names = [...known, ...value.filter((v) => !known.includes(v))];

  function toggle(name: string, checked: boolean) {
    onChange(checked ? [...value, name] : value.filter((v) => v !== name));
  }

  function addLabel() {
    const name = label.trim().toLowerCase();
    if (!name) return;
    if (!value.includes(name)) onChange([...value, name]);
    setLabel("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault(); // add the label, do not submit the surrounding form
      addLabel();
    }
  }

  return (
    <fieldset className={error ? "field fieldset field--invalid" : "field fieldset"} data-invalid={error ? "" : undefined} aria-describedby={error ? errorId : undefined}>
      <legend>Roles</legend>
      {roles.isPending ? <Loading label="Loading roles…" /> : null}
      <ul className="checklist">
        {names.map((name) => (
          <li key={name}>
            <input
              type="checkbox"
              id={`${id}-${name}`}
              checked={value.includes(name)}
              onChange={(e) => toggle(name, e.target.checked)}
              aria-describedby={ROLE_DESCRIPTIONS[name] ? `${id}-${name}-desc` : undefined}
            />
            <label htmlFor={`${id}-${name}`}>{name}</label>
            {ROLE_DESCRIPTIONS[name] ? (
              <span id={`${id}-${name}-desc`} className="field-hint">
                {ROLE_DESCRIPTIONS[name]}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      <div className="inline-add">
        <label htmlFor={`${id}-new`}>Add a role label</label>
        <div className="inline-add-row">
          <input
            id={`${id}-new`}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder="e.g. cab"
            autoCapitalize="none"
            spellCheck={false}
            aria-describedby={`${id}-new-hint`}
          />
          <button type="button" className="button" onClick={addLabel} disabled={!label.trim()}>
            Add
          </button>
        </div>
        <p id={`${id}-new-hint`} className="field-hint">
          Labels such as cab or finance grant no permissions; approval steps can target them.
        </p>
      </div>
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
