// Previous / Next over cursor pages: `cursors` is the stack of cursors that led to the page shown.
import type { Dispatch, SetStateAction } from "react";

export function Pager({
  label,
  cursors,
  setCursors,
  next,
  busy = false,
}: {
  label: string;
  cursors: readonly string[];
  setCursors: Dispatch<SetStateAction<string[]>>;
  /** The cursor of the page after this one (none: this is the last page). */
  next: string | null | undefined;
  /** While a page loads, both buttons wait. */
  busy?: boolean;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" disabled={!cursors.length || busy} onClick={() => setCursors((c) => c.slice(0, -1))}>
        Previous
      </button>
      <span>Page {cursors.length + 1}</span>
      <button
        type="button"
        className="button"
        disabled={!next || busy}
        onClick={() => {
          if (next) setCursors((c) => [...c, next]);
        }}
      >
        Next
      </button>
    </nav>
  );
}
