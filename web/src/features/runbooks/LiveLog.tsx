// An execution followed live: its log as the actions write it (Server-Sent Events from
// /api/executions/{id}/logs, resumed by the browser after a dropped connection), its status, and once it ends
// its outputs and each action's result.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { Badge } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { displayParameter } from "../../components/values";
import { FINISHED, runbooksKeys, useExecution } from "./api";

interface Chunk {
  seq: number;
  step: string | null;
  stream: string;
  text: string;
}

type Connection = "connecting" | "open" | "retrying" | "ended" | "failed";

function tone(status: string): "good" | "bad" | "warn" | "info" | "neutral" {
  if (status === "succeeded") return "good";
  if (["failed", "timed_out", "rejected"].includes(status)) return "bad";
  if (status === "cancelled") return "warn";
  return "info";
}

export function StatusPill({ status }: { status: string }) {
  return <Badge tone={tone(status)}>{status.replace(/_/g, " ")}</Badge>;
}

function parse(data: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function useLogStream(executionId: string) {
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [connection, setConnection] = useState<Connection>("connecting");
  const queryClient = useQueryClient();
  useEffect(() => {
    setChunks([]);
    setStatus(null);
    setConnection("connecting");
    const source = new EventSource(`/api/executions/${encodeURIComponent(executionId)}/logs`);
    const refresh = () => void queryClient.invalidateQueries({ queryKey: runbooksKeys.execution(executionId) });
    source.onopen = () => setConnection("open");
    source.addEventListener("status", (event) => {
      const next = parse((event as MessageEvent<string>).data).status;
      if (typeof next === "string") setStatus(next);
      refresh();
    });
    source.addEventListener("log", (event) => {
      const message = event as MessageEvent<string>;
      const data = parse(message.data);
      const seq = Number(message.lastEventId) || 0;
      setChunks((list) =>
        list.some((c) => c.seq === seq && seq > 0)
          ? list
          : [...list, { seq, step: typeof data.step === "string" ? data.step : null, stream: String(data.stream ?? "stdout"), text: String(data.text ?? "") }],
      );
    });
    source.addEventListener("end", (event) => {
      const next = parse((event as MessageEvent<string>).data).status;
      if (typeof next === "string") setStatus(next);
      setConnection("ended");
      source.close();
      refresh();
    });
    source.onerror = () => {
      // The browser reconnects by itself (sending Last-Event-ID) unless the server refused the stream.
      setConnection(source.readyState === EventSource.CLOSED ? "failed" : "retrying");
    };
    return () => source.close();
  }, [executionId, queryClient]);
  return { chunks, status, connection };
}

function LogLines({ chunks, label }: { chunks: readonly Chunk[]; label: string }) {
  const view = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = view.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [chunks.length]);
  let step: string | null = null;
  return (
    <pre ref={view} className="log-view" role="log" aria-label={label} aria-live="polite" tabIndex={0}>
      {chunks.length ? null : <span className="muted">No output yet.</span>}
      {chunks.map((chunk) => {
        const header = chunk.step && chunk.step !== step ? chunk.step : null;
        step = chunk.step ?? step;
        return (
          <span key={chunk.seq}>
            {header ? <span className="log-step">{`── ${header} ──\n`}</span> : null}
            <span className={chunk.stream === "stderr" ? "log-stderr" : undefined}>{chunk.text}</span>
          </span>
        );
      })}
    </pre>
  );
}

export function LiveExecution({ executionId }: { executionId: string }) {
  const stream = useLogStream(executionId);
  const execution = useExecution(executionId);
  const status = execution.data && FINISHED.has(execution.data.status) ? execution.data.status : (stream.status ?? execution.data?.status ?? "queued");
  const done = FINISHED.has(status);
  return (
    <section className="section" aria-labelledby={`run-${executionId}`}>
      <h3 id={`run-${executionId}`} className="subheading">
        Run <span className="mono">{executionId.slice(0, 8)}</span> · <span aria-live="polite">Status: <StatusPill status={status} /></span>
      </h3>
      {stream.connection === "retrying" ? <p className="muted">The live log was interrupted; reconnecting…</p> : null}
      {stream.connection === "failed" && !done ? <p className="field-error">The live log is not available; the status below still refreshes.</p> : null}
      <LogLines chunks={stream.chunks} label="Live log" />
      {execution.isError ? <ErrorState error={execution.error} title="The run could not be loaded" /> : null}
      {done && !execution.data ? <Loading label="Loading the results…" /> : null}
      {done && execution.data ? (
        <>
          {execution.data.error ? (
            <p className="field-error" role="alert">
              {execution.data.error}
            </p>
          ) : null}
          <h4 className="subheading">Outputs</h4>
          {Object.keys(execution.data.outputs).length ? (
            <dl className="facts" aria-label="Outputs">
              {Object.entries(execution.data.outputs).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd className="pre-wrap">{displayParameter(value)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">No outputs.</p>
          )}
          <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Actions of this run</caption>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
                <th scope="col">Exit code</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {execution.data.steps.map((step) => (
                <tr key={step.position}>
                  <td data-label="Action">
                    <span className="cell-title">{step.name}</span>
                    <span className="muted cell-sub">{step.type}</span>
                  </td>
                  <td data-label="Status">
                    <StatusPill status={step.status} />
                  </td>
                  <td data-label="Exit code">{step.exit_code ?? "—"}</td>
                  <td data-label="Reason">{step.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
