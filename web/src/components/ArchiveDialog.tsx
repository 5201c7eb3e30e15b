// "Archive X?" for things other objects can use: a refusal listing what still uses it (409 `used_by`) shows that
// list with links, and offers to archive anyway (`?force=true`), which the audit log then records with the list.
import type { ReactNode } from "react";
import { Link } from "react-router";

import { describeError, usedByOf } from "../api/problem";
import { Dialog } from "./Dialog";
import { usedByHref, usedByKind } from "./usedBy";

export function ArchiveDialog({
  open,
  onClose,
  title,
  children,
  pending,
  error,
  onArchive,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  pending: boolean;
  error: unknown;
  onArchive: (force: boolean) => void;
}) {
  const usedBy = usedByOf(error);
  return (
    <Dialog open={open} onClose={onClose} title={title}>
      {children}
      {usedBy ? (
        <div role="alert" className="panel">
          <p>
            <strong>Still in use.</strong> Archiving it now would make these fail later; point them elsewhere first, or
            archive anyway.
          </p>
          <ul aria-label="Still used by">
            {usedBy.map((use) => {
              const href = usedByHref(use);
              return (
                <li key={`${use.type}:${use.id}`}>
                  {usedByKind(use)}: {href ? <Link to={href}>{use.name}</Link> : use.name}
                </li>
              );
            })}
          </ul>
        </div>
      ) : error ? (
        <p className="field-error" role="alert">
          {describeError(error)}
        </p>
      ) : null}
      <div className="form-actions">
        {usedBy ? (
          <button type="button" className="button button--danger" disabled={pending} onClick={() => onArchive(true)}>
            Archive anyway
          </button>
        ) : (
          <button type="button" className="button button--danger" disabled={pending} onClick={() => onArchive(false)}>
            Archive
          </button>
        )}
        <button type="button" className="button" onClick={onClose}>
          Keep it
        </button>
      </div>
    </Dialog>
  );
}
