// The builder's draft of one workflow: the canvas's nodes and edges, the name, description, inputs schema and
// four-eyes switch, the API body they make, whether it differs from what was last saved, and the canvas edits.
import { type Connection, useEdgesState, useNodesState, useReactFlow } from "@xyflow/react";
import { useMemo, useRef, useState } from "react";

import type { Workflow, WorkflowWrite } from "../api";
import type { StepType } from "../graph/catalog";
import { type ApiGraph, type FlowEdge, fromFlow, selectOnly, type StepNode, type StepNodeData, toFlow, withNewEdge, withNewStep } from "../graph/flow";
import { layout } from "../graph/layout";
import { parseInputsSchema } from "../inputs";

export type WorkflowDraft = ReturnType<typeof useWorkflowDraft>;

/** The body of the workflow as it was loaded (a new one: empty), to tell whether the draft changed. */
function loadedBody(initial: Workflow | undefined, graph: ApiGraph): WorkflowWrite {
  return {
    name: initial?.name ?? "",
    description: initial?.description ?? "",
    inputs: initial?.inputs ?? null,
    allow_self_approval: initial?.allow_self_approval ?? false,
    ...graph,
  };
}

export function useWorkflowDraft(initial: Workflow | undefined) {
  const flow = useMemo(() => toFlow({ steps: initial?.steps ?? [], edges: initial?.edges ?? [] }), [initial]);
  const [nodes, setNodes, onNodesChange] = useNodesState<StepNode>(flow.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>(flow.edges);
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [inputsText, setInputsText] = useState(initial?.inputs ? JSON.stringify(initial.inputs, null, 2) : "");
  const [allowSelf, setAllowSelf] = useState(initial?.allow_self_approval ?? false);
  const [savedBody, setSavedBody] = useState<string | null>(null);
  const { fitView } = useReactFlow();
  const canvas = useRef<HTMLDivElement>(null);

  const { inputs, error: inputsError } = parseInputsSchema(inputsText);
  const graph = fromFlow(nodes, edges);
  const body: WorkflowWrite = { name: name.trim(), description, inputs, allow_self_approval: allowSelf, ...graph };
  const bodyText = JSON.stringify(body);
  const initialText = useMemo(() => JSON.stringify(loadedBody(initial, fromFlow(flow.nodes, flow.edges))), [initial, flow]);
  const selectedNode = nodes.find((n) => n.selected);
  const selectedEdge = selectedNode ? undefined : edges.find((e) => e.selected);
  const refit = () => window.setTimeout(() => void fitView({ maxZoom: 1 }), 50);

  function connect(connection: Connection) {
    if (!connection.source || !connection.target) return;
    setEdges((es) => withNewEdge(es, connection.source, connection.target));
    setNodes((ns) => selectOnly(ns, null));
  }

  return {
    nodes,
    edges,
    onNodesChange,
    onEdgesChange,
    canvas,
    meta: { name, setName, description, setDescription, inputsText, setInputsText, allowSelf, setAllowSelf },
    inputsError,
    graph,
    body,
    bodyText,
    dirty: bodyText !== (savedBody ?? initialText),
    selectedNode,
    selectedEdge,
    /** The body as it stands is what the server now holds. */
    markSaved: () => setSavedBody(bodyText),
    select(kind: "node" | "edge", id: string) {
      setNodes((ns) => selectOnly(ns, kind === "node" ? id : null));
      setEdges((es) => selectOnly(es, kind === "edge" ? id : null));
    },
    addStep(type: StepType) {
      setNodes((ns) => withNewStep(ns, type));
      setEdges((es) => selectOnly(es, null));
      refit();
    },
    tidy() {
      const positions = layout(graph.steps.map((s) => s.id), graph.edges);
      setNodes((ns) => ns.map((n) => ({ ...n, position: positions[n.data.stepId] ?? n.position })));
      refit();
    },
    connect,
    updateStep(nodeId: string, patch: Partial<StepNodeData>) {
      setNodes((ns) => ns.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, ...patch } } : n)));
    },
    setCondition(edgeId: string, condition: string | null) {
      setEdges((es) => es.map((e) => (e.id === edgeId ? { ...e, data: { condition } } : e)));
    },
    deleteNode(nodeId: string) {
      setNodes((ns) => ns.filter((n) => n.id !== nodeId));
      setEdges((es) => es.filter((e) => e.source !== nodeId && e.target !== nodeId));
      canvas.current?.focus();
    },
    deleteEdge(edgeId: string) {
      setEdges((es) => es.filter((e) => e.id !== edgeId));
      canvas.current?.focus();
    },
  };
}
