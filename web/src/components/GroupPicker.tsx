// Finding a group by name and picking it (approval steps that target a group).
import { useId, useState } from "react";

import { describeError } from "../api/problem";
import { useDebouncedValue } from "./hooks";
import { type Group, useGroups } from "../api/groups";

export function GroupPicker({ label, onPick }: { label: string; onPick: (group: Group) => void }) {
  const [q, setQ] = useState("");
  const search = useDebouncedValue(q.trim(), 250);
  const groups = useGroups(search);
  const id = useId();
  const results = (groups.data?.items ?? []).slice(0, 8);
  const status = groups.isPending
    ? "Searching…"
    : groups.isError
      ? describeError(groups.error)
      : results.length
        ? `${results.length} ${results.length === 1 ? "group" : "groups"} shown.`
        : search
          ? `No group matches “${search}”.`
          : "No groups yet.";
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
        placeholder="Type a group name"
        autoComplete="off"
        aria-describedby={`${id}-status`}
      />
      <p id={`${id}-status`} className="field-hint" role="status" aria-live="polite">
        {status}
      </p>
      {results.length ? (
        <ul className="picker-results" aria-label="Matching groups">
          {results.map((group) => (
            <li key={group.id}>
              <span>{group.name}</span>
              <button type="button" className="button button--small" onClick={() => onPick(group)} aria-label={`Select ${group.name}`}>
                Select
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
