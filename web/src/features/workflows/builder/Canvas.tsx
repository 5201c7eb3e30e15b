// The builder's canvas: a toolbar adding each type of step (and tidying the layout), and the React Flow canvas of
// steps and edges as drawn, each labelled with what it does and the problems live validation found in it.
import { Background, Controls, ReactFlow } from "@xyflow/react";
import { useMemo } from "react";

import { useRunbookOptions } from "../api";
import { STEP_LABELS, STEP_TYPES } from "../graph/catalog";
import type { FlowEdge, StepNode } from "../graph/flow";
import { annotateEdges, annotateNodes, type ProblemMap } from "../graph/problems";
import { nodeTypes } from "../StepNode";
import type { WorkflowDraft } from "./useWorkflowDraft";

export function StepPalette({ draft }: { draft: WorkflowDraft }) {
  return (
    <div className="builder-palette" role="toolbar" aria-label="Add a step">
      {STEP_TYPES.map((type) => (
        <button key={type} type="button" className="button button--small" onClick={() => draft.addStep(type)}>
          + {STEP_LABELS[type]}
        </button>
      ))}
      <button type="button" className="button button--small button--ghost" onClick={draft.tidy} disabled={!draft.nodes.length}>
        Tidy layout
      </button>
    </div>
  );
}

export function Canvas({ draft, problems }: { draft: WorkflowDraft; problems: ProblemMap }) {
  const runbooks = useRunbookOptions();
  const runbookNames = useMemo(() => Object.fromEntries((runbooks.data?.items ?? []).map((r) => [r.id, r.name])), [runbooks.data]);
  return (
    <div className="builder-canvas" ref={draft.canvas} tabIndex={-1} aria-label="Workflow canvas" role="region">
      <ReactFlow<StepNode, FlowEdge>
        nodes={annotateNodes(draft.nodes, problems, runbookNames)}
        edges={annotateEdges(draft.edges, draft.nodes, problems)}
        nodeTypes={nodeTypes}
        onNodesChange={draft.onNodesChange}
        onEdgesChange={draft.onEdgesChange}
        onConnect={draft.connect}
        deleteKeyCode={["Delete", "Backspace"]}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        minZoom={0.3}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
      {draft.nodes.length ? null : <p className="canvas-empty">Add a first step from the toolbar above.</p>}
    </div>
  );
}
