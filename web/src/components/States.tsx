// Loading, empty and error states every page uses, so they look and read the same everywhere.
import type { ReactNode } from "react";

import { describeError } from "../api/problem";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({ error, onRetry, title = "This could not be loaded" }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div className="state state--error" role="alert">
      <p className="state-title">{title}</p>
      <p>{describeError(error)}</p>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state--empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-body">{children}</div> : null}
      {action ? <div className="state-action">{action}</div> : null}
    </div>
  );
}

/** A polite announcement of what just happened ("User created"); renders nothing without a message. */
export function Notice({ message, onDismiss, tone = "good" }: { message: string | null; onDismiss?: () => void; tone?: "good" | "warn" }) {
  const toneClass = tone === "warn" ? " notice--warn" : "";
  return (
    <div role="status" aria-live="polite" className={message ? `notice${toneClass}` : "notice notice--empty"}>
      {message ? (
        <>
          <span>{message}</span>
          {onDismiss ? (
            <button type="button" className="button button--ghost button--small" onClick={onDismiss}>
              Dismiss
            </button>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
