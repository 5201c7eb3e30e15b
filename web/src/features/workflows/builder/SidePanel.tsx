// The builder's side panel: the selected step's or edge's form, or with nothing selected the workflow's own
// settings (its inputs schema, whether whoever runs it may approve its gates).
import { CheckboxField, TextAreaField } from "../../../components/Field";
import { stepsBehindApproval } from "../graph/flow";
import { problemsAt, type ProblemMap } from "../graph/problems";
import { EdgePanel } from "../steps/EdgePanel";
import { StepPanel } from "../steps/StepPanel";
import type { WorkflowDraft } from "./useWorkflowDraft";

function WorkflowSettings({ draft, problems, saveError }: { draft: WorkflowDraft; problems: ProblemMap; saveError: string | undefined }) {
  const { meta } = draft;
  return (
    <section className="builder-panel" aria-labelledby="workflow-panel-title">
      <h2 id="workflow-panel-title">Workflow settings</h2>
      <p className="muted">Select a step or an edge on the canvas to edit it. Add steps from the toolbar; drag from a step's lower handle to another step's upper handle to connect them.</p>
      <TextAreaField
        label="Inputs (JSON Schema)"
        name="inputs"
        rows={6}
        className="mono"
        value={meta.inputsText}
        onChange={(e) => meta.setInputsText(e.target.value)}
        error={draft.inputsError ?? saveError ?? problemsAt(problems.general, "inputs")}
        hint='e.g. {"type": "object", "properties": {"env": {"type": "string", "enum": ["dev", "prod"]}}, "required": ["env"]}'
      />
      <CheckboxField label="Whoever runs it may also approve its gates" name="allow_self_approval" checked={meta.allowSelf} onChange={(e) => meta.setAllowSelf(e.target.checked)} />
    </section>
  );
}

/** `inputsSaveError`: what the last save said about the inputs schema. */
export function SidePanel({ draft, problems, inputsSaveError }: { draft: WorkflowDraft; problems: ProblemMap; inputsSaveError: string | undefined }) {
  const { nodes, selectedNode, selectedEdge } = draft;
  return (
    <aside className="builder-side" aria-label="Selection">
      {selectedNode ? (
        <StepPanel
          key={selectedNode.id}
          data={selectedNode.data}
          problems={problems.steps[selectedNode.id] ?? []}
          otherSteps={nodes.filter((n) => n.id !== selectedNode.id).map((n) => ({ nodeId: n.id, stepId: n.data.stepId }))}
          onChange={(patch) => draft.updateStep(selectedNode.id, patch)}
          onDelete={() => draft.deleteNode(selectedNode.id)}
          onConnect={(target) => draft.connect({ source: selectedNode.id, target, sourceHandle: null, targetHandle: null })}
          behindApproval={stepsBehindApproval(draft.graph).has(selectedNode.data.stepId)}
        />
      ) : selectedEdge ? (
        <EdgePanel
          key={selectedEdge.id}
          data={selectedEdge.data ?? { condition: null }}
          fromStep={nodes.find((n) => n.id === selectedEdge.source)?.data}
          toStep={nodes.find((n) => n.id === selectedEdge.target)?.data}
          problems={problems.edges[selectedEdge.id] ?? []}
          onChange={(condition) => draft.setCondition(selectedEdge.id, condition)}
          onDelete={() => draft.deleteEdge(selectedEdge.id)}
        />
      ) : (
        <WorkflowSettings draft={draft} problems={problems} saveError={inputsSaveError} />
      )}
    </aside>
  );
}
