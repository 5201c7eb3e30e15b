// /workflows/new and /workflows/:workflowId: the builder. A canvas of steps and edges (palette to add each step
// type, drag between handles to draw an edge, Delete to remove), a side panel editing the selected step or edge,
// live validation shown on the elements it concerns and in a problems list, Save (next version) and Run.
import "@xyflow/react/dist/style.css";
import "./workflows.css";

import { ReactFlowProvider } from "@xyflow/react";
import { useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router";

import { TextField } from "../../components/Field";
import { FormSummary, useFormErrors } from "../../components/FormErrors";
import { ErrorState, Loading, Notice } from "../../components/States";
import { RecentExecutions } from "../../components/RecentExecutions";
import { useSaveWorkflow, useWorkflow, type Workflow } from "./api";
import { ArchiveWorkflowDialog, LeaveDialog } from "./builder/BuilderDialogs";
import { BuilderHeader } from "./builder/BuilderHeader";
import { Canvas, StepPalette } from "./builder/Canvas";
import { ProblemList } from "./builder/ProblemList";
import { SidePanel } from "./builder/SidePanel";
import { useLeaveGuard } from "./builder/useLeaveGuard";
import { useLiveValidation } from "./builder/useLiveValidation";
import { useWorkflowDraft } from "./builder/useWorkflowDraft";
import { RunDialog } from "./RunDialog";
import { TriggersPanel } from "./triggers/TriggersPanel";

const META_FIELDS = ["name", "description", "inputs", "allow_self_approval"];

export function WorkflowBuilderPage() {
  const { workflowId } = useParams();
  const isNew = !workflowId || workflowId === "new";
  const workflow = useWorkflow(isNew ? null : workflowId);
  if (!isNew && workflow.isPending) return <Loading label="Loading the workflow…" />;
  if (!isNew && workflow.isError) return <ErrorState error={workflow.error} onRetry={() => void workflow.refetch()} />;
  return (
    <ReactFlowProvider>
      <Builder key={workflow.data?.id ?? "new"} initial={isNew ? undefined : workflow.data} />
    </ReactFlowProvider>
  );
}

function Builder({ initial }: { initial: Workflow | undefined }) {
  const navigate = useNavigate();
  const location = useLocation();
  const draft = useWorkflowDraft(initial);
  const { meta } = draft;
  // A new workflow's first save moves to its own URL (a fresh builder): the notice travels in the history state.
  const [notice, setNotice] = useState<string | null>(() => (location.state as { notice?: string } | null)?.notice ?? null);
  const [running, setRunning] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const save = useSaveWorkflow();
  const saveErrors = useFormErrors(save.error, META_FIELDS);
  const guard = useLeaveGuard(draft.dirty);
  const validation = useLiveValidation(draft.inputsError ? null : draft.bodyText, draft.nodes, draft.edges);

  function submit() {
    if (draft.inputsError) return;
    save.mutate(
      { id: initial?.id, body: draft.body },
      {
        onSuccess: (saved) => {
          const message = `Saved as version ${saved.version}.`;
          draft.markSaved();
          setNotice(message);
          if (!initial) {
            guard.leaveFreely();
            void navigate(`/workflows/${saved.id}`, { replace: true, state: { notice: message } });
          }
        },
      },
    );
  }

  return (
    <>
      <BuilderHeader
        initial={initial}
        dirty={draft.dirty}
        saving={save.isPending}
        canSave={!draft.inputsError}
        onArchive={() => setArchiving(true)}
        onRun={() => setRunning(true)}
        onSave={submit}
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={saveErrors} title="The workflow was not saved" />
      <div className="builder-meta">
        <TextField label="Name" name="name" value={meta.name} onChange={(e) => meta.setName(e.target.value)} error={saveErrors.fields.name} required />
        <TextField label="Description" name="description" value={meta.description} onChange={(e) => meta.setDescription(e.target.value)} error={saveErrors.fields.description} />
      </div>
      <StepPalette draft={draft} />
      <div className="builder">
        <Canvas draft={draft} problems={validation.problems} />
        <SidePanel draft={draft} problems={validation.problems} inputsSaveError={saveErrors.fields.inputs} />
      </div>
      <ProblemList draft={draft} validation={validation} />
      {initial ? <TriggersPanel workflowId={initial.id} /> : null}
      {initial ? <RecentExecutions of={{ workflowId: initial.id }} current={initial.version} /> : null}
      {initial ? <RunDialog open={running} onClose={() => setRunning(false)} workflow={initial} /> : null}
      <LeaveDialog blocker={guard.blocker} />
      {initial ? (
        <ArchiveWorkflowDialog
          workflow={initial}
          open={archiving}
          onClose={() => setArchiving(false)}
          onArchived={() => {
            guard.leaveFreely();
            void navigate("/workflows");
          }}
        />
      ) : null}
    </>
  );
}
