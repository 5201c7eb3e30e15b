// One automation approval gate to decide: the workflow and execution it belongs to, the step, the inputs and the
// rendered parameters of the runbook steps that run once it is approved, the votes so far, and Approve / Reject
// (with a comment) when the API would accept my decision (`gateVerdict`).
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/problem";
import { useCurrentUser, usePermission } from "../../app/session";
import { TextAreaField } from "../../components/Field";
import { DateTime } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { Person, StatusBadge } from "../itsm/RecordParts";
import { age } from "./age";
import { type Gate, useDecideGate, useGate, useMyGateIds } from "./api";
import { approvalCount, approverLabel, displayParameter, gateDecisions, gateSubject, gateVerdict } from "./gate";

function Facts({ values, empty }: { values: Record<string, unknown>; empty: string }) {
  const names = Object.keys(values);
  if (!names.length) return <p className="muted">{empty}</p>;
  return (
    <dl className="facts">
      {names.map((name) => (
        <div key={name} style={{ display: "contents" }}>
          <dt>{name}</dt>
          <dd className="pre-wrap">{displayParameter(values[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The workflow's name (and the runbooks' names) for those who may read workflows and executions. */
function useWorkflowOf(executionId: string | null) {
  const allowed = usePermission("workflows.manage") && usePermission("executions.read_all");
  return useQuery({
    queryKey: ["approvals", "gate-workflow", executionId ?? ""],
    queryFn: async ({ signal }) => {
      const execution = await unwrap(api.GET("/api/executions/{execution_id}", { params: { path: { execution_id: executionId ?? "" } }, signal }));
      if (!execution.workflow_id) return null;
      const workflow = await unwrap(
        api.GET("/api/workflows/{workflow_id}", { params: { path: { workflow_id: execution.workflow_id } }, signal }),
      );
      return { name: workflow.name, version: execution.workflow_version };
    },
    enabled: allowed && Boolean(executionId),
    retry: false,
    staleTime: 60_000,
  });
}

function RunbookName({ id, name }: { id: string | null; name: string | null }) {
  const allowed = usePermission("runbooks.manage") && !name;
  const runbook = useQuery({
    queryKey: ["runbooks", "detail", id ?? ""],
    queryFn: ({ signal }) => unwrap(api.GET("/api/runbooks/{runbook_id}", { params: { path: { runbook_id: id ?? "" } }, signal })),
    enabled: allowed && Boolean(id),
    retry: false,
    staleTime: 60_000,
  });
  if (name) return <>runbook “{name}”</>;
  if (!id) return <span className="muted">an unknown runbook</span>;
  return runbook.data ? <>runbook “{runbook.data.name}”</> : <span className="mono">runbook {id.slice(0, 8)}</span>;
}

function refusal(error: unknown): string {
  if (error instanceof ApiError && (error.status === 403 || error.status === 409)) {
    const lead = error.status === 409 ? "Already decided" : "You may not decide this";
    return `${lead}: ${error.problem.detail ?? error.problem.title}`;
  }
  return describeError(error);
}

function GateDecisionForm({ gate, label, onDecided }: { gate: Gate; label: string; onDecided?: (message: string, refused?: boolean) => void }) {
  const [comment, setComment] = useState("");
  const decide = useDecideGate();
  const id = useId();
  const fieldError =
    decide.error instanceof ApiError && decide.error.status === 422
      ? (decide.error.problem.errors?.find((e) => e.field === "comment" || e.field.endsWith(".comment"))?.message ?? decide.error.problem.detail)
      : undefined;
  const otherError = decide.error && !fieldError ? refusal(decide.error) : null;
  useEffect(() => {
    if (fieldError) document.getElementById(`${id}-comment`)?.focus();
  }, [fieldError, id]);

  function act(outcome: "approve" | "reject") {
    decide
      .mutateAsync({ id: gate.id, outcome, comment: comment.trim() })
      .then((decided) => {
        const still = decided.status === "pending" ? " It waits for more approvals." : "";
        onDecided?.(`${outcome === "approve" ? "Approved" : "Rejected"}: ${label}.${still}`);
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && (error.status === 403 || error.status === 409)) onDecided?.(`${label}: ${refusal(error)}`, true);
      });
  }

  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        act("approve");
      }}
      noValidate
      aria-label={`Decide ${label}`}
    >
      <TextAreaField
        id={`${id}-comment`}
        label="Comment"
        name="comment"
        rows={2}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        error={fieldError}
        hint="Optional to approve, required to reject."
      />
      {otherError ? (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      ) : null}
      <div className="form-actions form-actions--wrap">
        <button type="submit" className="button button--primary" disabled={decide.isPending}>
          Approve
        </button>
        <button type="button" className="button button--danger" disabled={decide.isPending} onClick={() => act("reject")}>
          Reject
        </button>
      </div>
    </form>
  );
}

export function GateDetails({
  gate,
  onDecided,
  headingLevel = 2,
  listedAsMine,
}: {
  gate: Gate;
  onDecided?: (message: string, refused?: boolean) => void;
  headingLevel?: 2 | 3;
  /** Whether the API lists this gate as mine to decide (the inbox only shows such gates). */
  listedAsMine?: boolean | undefined;
}) {
  const me = useCurrentUser();
  const canReadUsers = usePermission("users.read");
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const subject = gateSubject(gate.subject, gate);
  const workflow = useWorkflowOf(subject.executionId);
  const verdict = gateVerdict(gate, me.id, listedAsMine);
  const decisions = gateDecisions(gate);
  const label = gate.message || `Automation approval ${gate.step_id}`;
  return (
    <article className="inbox-item" aria-label={label}>
      <Heading>{label}</Heading>
      <p className="muted">
        Automation gate · waiting {age(gate.created_at)} · started by <Person id={gate.started_by ?? null} canReadUsers={canReadUsers} />
        {gate.status !== "pending" ? (
          <>
            {" "}
            · <StatusBadge status={gate.status} />
          </>
        ) : null}
      </p>
      <dl className="facts">
        <div style={{ display: "contents" }}>
          <dt>Workflow</dt>
          <dd>
            {subject.workflow ?? workflow.data ? (
              <>
                {(subject.workflow ?? workflow.data)?.name}
                {(subject.workflow ?? workflow.data)?.version ? (
                  <span className="muted"> (version {(subject.workflow ?? workflow.data)?.version})</span>
                ) : null}
              </>
            ) : (
              <span className="muted">{workflow.isLoading ? "Loading…" : "Not visible to you"}</span>
            )}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Execution</dt>
          <dd className="mono">
            {subject.executionId && workflow.data ? (
              <Link to={`/executions/${subject.executionId}`}>{subject.executionId}</Link>
            ) : (
              (subject.executionId ?? "—")
            )}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Step</dt>
          <dd>
            {subject.stepId ?? gate.step_id}
            {gate.attempt > 1 ? <span className="muted"> (attempt {gate.attempt})</span> : null}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Approvers</dt>
          <dd>{gate.approvers.length ? gate.approvers.map(approverLabel).join(", ") : "—"}</dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Approvals</dt>
          <dd>
            {approvalCount(gate)} of {gate.min_approvals} needed
          </dd>
        </div>
      </dl>
      <h3 className="subheading">Inputs</h3>
      <Facts values={subject.inputs} empty="The execution has no inputs." />
      <h3 className="subheading">Once approved</h3>
      {subject.nextSteps.length ? (
        <ul className="plain-list" aria-label="Steps that run once approved">
          {subject.nextSteps.map((step) => (
            <li key={step.stepId}>
              <p>
                Step <strong>{step.stepId}</strong> runs <RunbookName id={step.runbookId} name={step.runbook} /> with:
              </p>
              <Facts values={step.parameters} empty="No parameters." />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No runbook step follows this gate directly.</p>
      )}
      {decisions.length ? (
        <details>
          <summary>Decisions so far ({decisions.length})</summary>
          <ul className="plain-list">
            {decisions.map((d, i) => (
              <li key={`${d.userId}-${i}`}>
                {d.user} {d.decision}
                {d.onBehalfOf ? " (as a delegate)" : ""} · <DateTime value={d.at} />
                {d.comment ? <>: “{d.comment}”</> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {verdict.canDecide ? (
        <GateDecisionForm gate={gate} label={label} {...(onDecided ? { onDecided } : {})} />
      ) : (
        <p className="refusal-note" role="note">
          {verdict.reason}
        </p>
      )}
    </article>
  );
}

/**
 * A gate loaded by id, kept fresh while shown. In the inbox (`inInbox`) the API already listed it as mine to
 * decide; elsewhere (its own page) the list of my gates says whether to offer the decision.
 */
export function GateCard({
  id,
  onDecided,
  headingLevel = 2,
  inInbox = false,
}: {
  id: string;
  onDecided?: (message: string, refused?: boolean) => void;
  headingLevel?: 2 | 3;
  inInbox?: boolean;
}) {
  const gate = useGate(id, { poll: true });
  const mine = useMyGateIds(!inInbox);
  if (gate.isPending || (!inInbox && mine.isPending)) return <Loading label="Loading the approval…" />;
  if (gate.isError) return <ErrorState error={gate.error} title="This approval could not be loaded" onRetry={() => void gate.refetch()} />;
  const listedAsMine = inInbox ? true : mine.data ? mine.data.has(gate.data.id) : undefined;
  return <GateDetails gate={gate.data} headingLevel={headingLevel} listedAsMine={listedAsMine} {...(onDecided ? { onDecided } : {})} />;
}
