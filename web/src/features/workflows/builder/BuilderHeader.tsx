// The builder's header: which workflow and version, whether the draft has unsaved changes, and Archive, Run and
// Save.
import { Link } from "react-router";

import { PageHeader } from "../../../components/Page";
import type { Workflow } from "../api";

export function BuilderHeader({
  initial,
  dirty,
  saving,
  canSave,
  onArchive,
  onRun,
  onSave,
}: {
  initial: Workflow | undefined;
  dirty: boolean;
  saving: boolean;
  canSave: boolean;
  onArchive: () => void;
  onRun: () => void;
  onSave: () => void;
}) {
  return (
    <PageHeader
      title={initial ? `Workflow: ${initial.name}` : "New workflow"}
      description={
        <>
          <Link to="/workflows">All workflows</Link>
          {initial ? ` · version ${initial.version}` : null}
          {dirty ? " · unsaved changes" : null}
        </>
      }
      actions={
        <>
          {initial ? (
            <button type="button" className="button button--ghost" onClick={onArchive}>
              Archive
            </button>
          ) : null}
          <button type="button" className="button" disabled={!initial} onClick={onRun} title={initial ? (dirty ? "Runs the saved version" : undefined) : "Save the workflow first"}>
            Run
          </button>
          <button type="button" className="button button--primary" onClick={onSave} disabled={saving || !canSave}>
            {saving ? "Saving…" : "Save"}
          </button>
        </>
      }
    />
  );
}
