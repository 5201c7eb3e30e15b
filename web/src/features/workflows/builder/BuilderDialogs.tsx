// The builder's confirmations: leaving with unsaved changes, and archiving the workflow.
import type { Blocker } from "react-router";

import { ArchiveDialog } from "../../../components/ArchiveDialog";
import { Dialog } from "../../../components/Dialog";
import { useArchiveWorkflow, type Workflow } from "../api";

export function LeaveDialog({ blocker }: { blocker: Blocker }) {
  return (
    <Dialog open={blocker.state === "blocked"} onClose={() => blocker.reset?.()} title="Leave without saving?">
      <p>The changes to this workflow since it was last saved will be lost.</p>
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={() => blocker.proceed?.()}>
          Leave
        </button>
        <button type="button" className="button" onClick={() => blocker.reset?.()}>
          Stay
        </button>
      </div>
    </Dialog>
  );
}

export function ArchiveWorkflowDialog({ workflow, open, onClose, onArchived }: { workflow: Workflow; open: boolean; onClose: () => void; onArchived: () => void }) {
  const archive = useArchiveWorkflow();
  return (
    <ArchiveDialog
      open={open}
      onClose={() => {
        onClose();
        archive.reset();
      }}
      title={`Archive ${workflow.name}?`}
      pending={archive.isPending}
      error={archive.error}
      onArchive={(force) => archive.mutate({ id: workflow.id, force }, { onSuccess: onArchived })}
    >
      <p>It leaves the list and can no longer be run; executions already started finish on their version.</p>
    </ArchiveDialog>
  );
}
