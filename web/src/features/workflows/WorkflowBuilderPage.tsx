// /workflows/new and /workflows/:workflowId: the builder. A canvas of steps and edges (palette to add each step
// type, drag between handles to draw an edge, Delete to remove), a side panel editing the selected step or edge,
// live validation shown on the elements it concerns and in a problems list, Save (next version) and Run.
import "@xyflow/react/dist/style.css";
import "./workflows.css";

import {
  addEdge,
  Background,
  type Connection,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
} from "@xyflow/react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useBlocker, useLocation, useNavigate, useParams } from "react-router";

import { ApiError } from "../../api/problem";
import { ArchiveDialog } from "../../components/ArchiveDialog";
import { Dialog } from "../../components/Dialog";
import { CheckboxField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFormErrors } from "../../components/FormErrors";
import { useDebouncedValue } from "../../components/hooks";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { useArchiveWorkflow, useRunbookOptions, useSaveWorkflow, useValidation, useWorkflow, type Workflow, type WorkflowWrite } from "./api";
import {
  defaultConfig,
  edgeLabel,
  type FlowEdge,
  fromFlow,
  layout,
  mapProblems,
  NODE_HEIGHT,
  newStepId,
  STEP_LABELS,
  STEP_TYPES,
  stepDetail,
  stepsBehindApproval,
  type StepNode,
  type StepNodeData,
  type StepType,
  toFlow,
} from "./graph";
import { RecentExecutions } from "../../components/RecentExecutions";
import { RunDialog } from "./RunDialog";
import { EdgePanel, StepPanel } from "./StepForms";
import { nodeTypes } from "./StepNode";
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

const nextKey = (prefix: string, ids: readonly string[]) =>
  `${prefix}${ids.reduce((max, id) => Math.max(max, Number(id.slice(prefix.length)) || 0), 0) + 1}`;

function Builder({ initial }: { initial: Workflow | undefined }) {
  const navigate = useNavigate();
  const location = useLocation();
  const flow = useMemo(() => toFlow({ steps: initial?.steps ?? [], edges: initial?.edges ?? [] }), [initial]);
  const [nodes, setNodes, onNodesChange] = useNodesState<StepNode>(flow.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>(flow.edges);
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [inputsText, setInputsText] = useState(initial?.inputs ? JSON.stringify(initial.inputs, null, 2) : "");
  const [allowSelf, setAllowSelf] = useState(initial?.allow_self_approval ?? false);
  // A new workflow's first save moves to its own URL (a fresh builder): the notice travels in the history state.
  const [notice, setNotice] = useState<string | null>(() => (location.state as { notice?: string } | null)?.notice ?? null);
  const [running, setRunning] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const archive = useArchiveWorkflow();
  const [savedBody, setSavedBody] = useState<string | null>(null);
  const { fitView } = useReactFlow();
  const canvas = useRef<HTMLDivElement>(null);
  const save = useSaveWorkflow();

  let inputs: Record<string, unknown> | null = null;
  let inputsError: string | undefined;
  if (inputsText.trim()) {
    try {
      const parsed: unknown = JSON.parse(inputsText);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) inputs = parsed as Record<string, unknown>;
      else inputsError = "The inputs schema is a JSON object.";
    } catch {
      inputsError = "Not valid JSON.";
    }
  }
  const graph = fromFlow(nodes, edges);
  const body: WorkflowWrite = { name: name.trim(), description, inputs, allow_self_approval: allowSelf, ...graph };
  const bodyText = JSON.stringify(body);
  const initialText = useMemo(
    () =>
      JSON.stringify({
        name: initial?.name ?? "",
        description: initial?.description ?? "",
        inputs: initial?.inputs ?? null,
        allow_self_approval: initial?.allow_self_approval ?? false,
        ...fromFlow(flow.nodes, flow.edges),
      }),
    [initial, flow],
  );
  const dirty = bodyText !== (savedBody ?? initialText);
  // Leaving with unsaved changes asks first (in the app and on reload); saving or archiving leaves freely.
  const leaving = useRef(false);
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  // Live validation: the body as it stood half a second ago (a placeholder name keeps an unnamed draft checkable).
  const settled = useDebouncedValue(inputsError ? null : bodyText, 500);
  const validationBody = useMemo(() => {
    if (!settled) return null;
    const parsed = JSON.parse(settled) as WorkflowWrite;
    return { ...parsed, name: parsed.name || "untitled" };
  }, [settled]);
  const validation = useValidation(validationBody);
  const checking = settled !== (inputsError ? null : bodyText) || validation.isFetching;
  // A body the request-shape checks refuse (422) names its fields the same way the workflow checks do.
  const reported = validation.data?.errors ?? (validation.error instanceof ApiError ? validation.error.problem.errors : undefined) ?? [];
  const problems = mapProblems(reported, nodes, edges);
  const saveErrors = useFormErrors(save.error, META_FIELDS);

  const runbooks = useRunbookOptions();
  const runbookNames = useMemo(() => Object.fromEntries((runbooks.data?.items ?? []).map((r) => [r.id, r.name])), [runbooks.data]);
  const shownNodes = nodes.map((n) => {
    const stepProblems = problems.steps[n.id]?.map((p) => p.message);
    const detail = stepDetail(n.data.type, n.data.config, runbookNames);
    return {
      ...n,
      ariaLabel: `${STEP_LABELS[n.data.type as StepType] ?? n.data.type} step ${n.data.stepId}: ${detail}${stepProblems ? `, ${stepProblems.length} problems` : ""}`,
      data: { ...n.data, detail, ...(stepProblems ? { problems: stepProblems } : {}) },
    };
  });
  const shownEdges = edges.map((e) => {
    const edgeProblems = problems.edges[e.id];
    const label = edgeLabel(e.data?.condition);
    return {
      ...e,
      label: edgeProblems ? `⚠ ${label}`.trim() : label,
      className: edgeProblems ? "edge--invalid" : undefined,
      ariaLabel: `Edge from ${stepIdOf(e.source)} to ${stepIdOf(e.target)}${label ? ` when ${label}` : ""}${edgeProblems ? `, ${edgeProblems.length} problems` : ""}`,
    };
  });
  function stepIdOf(nodeId: string) {
    return nodes.find((n) => n.id === nodeId)?.data.stepId ?? nodeId;
  }

  const selectedNode = nodes.find((n) => n.selected);
  const selectedEdge = selectedNode ? undefined : edges.find((e) => e.selected);

  function select(kind: "node" | "edge", id: string) {
    setNodes((ns) => ns.map((n) => ({ ...n, selected: kind === "node" && n.id === id })));
    setEdges((es) => es.map((e) => ({ ...e, selected: kind === "edge" && e.id === id })));
  }

  function addStep(type: StepType) {
    const id = nextKey("n", nodes.map((n) => n.id));
    const anchor = selectedNode ?? nodes.reduce<StepNode | undefined>((low, n) => (!low || n.position.y > low.position.y ? n : low), undefined);
    const position = anchor ? { x: anchor.position.x, y: anchor.position.y + NODE_HEIGHT + 70 } : { x: 0, y: 0 };
    const node: StepNode = {
      id,
      type: "step",
      position,
      selected: true,
      data: { stepId: newStepId(type, nodes.map((n) => n.data.stepId)), type, name: "", config: defaultConfig(type) },
    };
    setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), node]);
    setEdges((es) => es.map((e) => ({ ...e, selected: false })));
    window.setTimeout(() => void fitView({ maxZoom: 1 }), 50);
  }

  function tidy() {
    const positions = layout(graph.steps.map((s) => s.id), graph.edges);
    setNodes((ns) => ns.map((n) => ({ ...n, position: positions[n.data.stepId] ?? n.position })));
    window.setTimeout(() => void fitView({ maxZoom: 1 }), 50);
  }

  function connect(connection: Connection) {
    if (!connection.source || !connection.target) return;
    setEdges((es) => {
      const id = nextKey("e", es.map((e) => e.id));
      const edge: FlowEdge = { id, source: connection.source, target: connection.target, selected: true, data: { condition: null } };
      return addEdge(edge, es.map((e) => ({ ...e, selected: false })));
    });
    setNodes((ns) => ns.map((n) => ({ ...n, selected: false })));
  }

  function updateStep(nodeId: string, patch: Partial<StepNodeData>) {
    setNodes((ns) => ns.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, ...patch } } : n)));
  }

  function deleteNode(nodeId: string) {
    setNodes((ns) => ns.filter((n) => n.id !== nodeId));
    setEdges((es) => es.filter((e) => e.source !== nodeId && e.target !== nodeId));
    canvas.current?.focus();
  }

  function deleteEdge(edgeId: string) {
    setEdges((es) => es.filter((e) => e.id !== edgeId));
    canvas.current?.focus();
  }

  function submit() {
    if (inputsError) return;
    save.mutate(
      { id: initial?.id, body },
      {
        onSuccess: (saved) => {
          const message = `Saved as version ${saved.version}.`;
          setSavedBody(bodyText);
          setNotice(message);
          if (!initial) {
            leaving.current = true;
            void navigate(`/workflows/${saved.id}`, { replace: true, state: { notice: message } });
          }
        },
      },
    );
  }

  const problemCount = reported.length;
  return (
    <>
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
              <button type="button" className="button button--ghost" onClick={() => setArchiving(true)}>
                Archive
              </button>
            ) : null}
            <button type="button" className="button" disabled={!initial} onClick={() => setRunning(true)} title={initial ? (dirty ? "Runs the saved version" : undefined) : "Save the workflow first"}>
              Run
            </button>
            <button type="button" className="button button--primary" onClick={submit} disabled={save.isPending || Boolean(inputsError)}>
              {save.isPending ? "Saving…" : "Save"}
            </button>
          </>
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={saveErrors} title="The workflow was not saved" />
      <div className="builder-meta">
        <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={saveErrors.fields.name} required />
        <TextField label="Description" name="description" value={description} onChange={(e) => setDescription(e.target.value)} error={saveErrors.fields.description} />
      </div>
      <div className="builder-palette" role="toolbar" aria-label="Add a step">
        {STEP_TYPES.map((type) => (
          <button key={type} type="button" className="button button--small" onClick={() => addStep(type)}>
            + {STEP_LABELS[type]}
          </button>
        ))}
        <button type="button" className="button button--small button--ghost" onClick={tidy} disabled={!nodes.length}>
          Tidy layout
        </button>
      </div>
      <div className="builder">
        <div className="builder-canvas" ref={canvas} tabIndex={-1} aria-label="Workflow canvas" role="region">
          <ReactFlow<StepNode, FlowEdge>
            nodes={shownNodes}
            edges={shownEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={connect}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            minZoom={0.3}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
          {nodes.length ? null : <p className="canvas-empty">Add a first step from the toolbar above.</p>}
        </div>
        <aside className="builder-side" aria-label="Selection">
          {selectedNode ? (
            <StepPanel
              key={selectedNode.id}
              data={selectedNode.data}
              problems={problems.steps[selectedNode.id] ?? []}
              otherSteps={nodes.filter((n) => n.id !== selectedNode.id).map((n) => ({ nodeId: n.id, stepId: n.data.stepId }))}
              onChange={(patch) => updateStep(selectedNode.id, patch)}
              onDelete={() => deleteNode(selectedNode.id)}
              onConnect={(target) => connect({ source: selectedNode.id, target, sourceHandle: null, targetHandle: null })}
              behindApproval={stepsBehindApproval(graph).has(selectedNode.data.stepId)}
            />
          ) : selectedEdge ? (
            <EdgePanel
              key={selectedEdge.id}
              data={selectedEdge.data ?? { condition: null }}
              fromStep={nodes.find((n) => n.id === selectedEdge.source)?.data}
              toStep={nodes.find((n) => n.id === selectedEdge.target)?.data}
              problems={problems.edges[selectedEdge.id] ?? []}
              onChange={(condition) => setEdges((es) => es.map((e) => (e.id === selectedEdge.id ? { ...e, data: { condition } } : e)))}
              onDelete={() => deleteEdge(selectedEdge.id)}
            />
          ) : (
            <section className="builder-panel" aria-labelledby="workflow-panel-title">
              <h2 id="workflow-panel-title">Workflow settings</h2>
              <p className="muted">Select a step or an edge on the canvas to edit it. Add steps from the toolbar; drag from a step's lower handle to another step's upper handle to connect them.</p>
              <TextAreaField
                label="Inputs (JSON Schema)"
                name="inputs"
                rows={6}
                className="mono"
                value={inputsText}
                onChange={(e) => setInputsText(e.target.value)}
                error={inputsError ?? saveErrors.fields.inputs ?? problemsAt(problems.general, "inputs")}
                hint='e.g. {"type": "object", "properties": {"env": {"type": "string", "enum": ["dev", "prod"]}}, "required": ["env"]}'
              />
              <CheckboxField label="Whoever runs it may also approve its gates" name="allow_self_approval" checked={allowSelf} onChange={(e) => setAllowSelf(e.target.checked)} />
            </section>
          )}
        </aside>
      </div>
      <section className="builder-problems" aria-labelledby="problems-title">
        <h2 id="problems-title">
          Problems{" "}
          <span role="status" aria-live="polite" className="muted">
            {checking ? "checking…" : problemCount ? `(${problemCount})` : validation.isError ? "(could not check)" : "none: the workflow is valid"}
          </span>
        </h2>
        {problemCount ? (
          <ul className="problem-list">
            {Object.entries(problems.steps).map(([nodeId, list]) =>
              list.map((p) => (
                <li key={`${nodeId}:${p.field}:${p.message}`}>
                  <button type="button" className="link-button" onClick={() => select("node", nodeId)}>
                    Step {stepIdOf(nodeId)}
                  </button>
                  {p.sub ? <code>{p.sub}</code> : null} {p.message}
                </li>
              )),
            )}
            {Object.entries(problems.edges).map(([edgeId, list]) =>
              list.map((p) => {
                const edge = edges.find((e) => e.id === edgeId);
                return (
                  <li key={`${edgeId}:${p.field}:${p.message}`}>
                    <button type="button" className="link-button" onClick={() => select("edge", edgeId)}>
                      Edge {edge ? `${stepIdOf(edge.source)} → ${stepIdOf(edge.target)}` : edgeId}
                    </button>
                    {p.sub ? <code>{p.sub}</code> : null} {p.message}
                  </li>
                );
              }),
            )}
            {problems.general.map((p) => (
              <li key={`${p.field}:${p.message}`}>
                <code>{p.field}</code> {p.message}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      {initial ? <TriggersPanel workflowId={initial.id} /> : null}
      {initial ? <RecentExecutions of={{ workflowId: initial.id }} current={initial.version} /> : null}
      {initial ? <RunDialog open={running} onClose={() => setRunning(false)} workflow={initial} /> : null}
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
      {initial ? (
        <ArchiveDialog
          open={archiving}
          onClose={() => {
            setArchiving(false);
            archive.reset();
          }}
          title={`Archive ${initial.name}?`}
          pending={archive.isPending}
          error={archive.error}
          onArchive={(force) =>
            archive.mutate(
              { id: initial.id, force },
              {
                onSuccess: () => {
                  leaving.current = true;
                  void navigate("/workflows");
                },
              },
            )
          }
        >
          <p>It leaves the list and can no longer be run; executions already started finish on their version.</p>
        </ArchiveDialog>
      ) : null}
    </>
  );
}

function problemsAt(list: readonly { field: string; message: string }[], prefix: string): string | undefined {
  const messages = list.filter((p) => p.field === prefix || p.field.startsWith(`${prefix}.`)).map((p) => p.message);
  return messages.length ? messages.join(" ") : undefined;
}
