// A runbook in the editor (`/runbooks/new`, `/runbooks/:id`): name, description, actions, parameters schema,
// secrets, timeout; saving writes the next version and shows the API's problems beside the fields they name.
// A saved runbook also shows its versions and can be test-run with its logs streamed live.
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";

import { usePermission } from "../../app/session";
import { ArchiveDialog } from "../../components/ArchiveDialog";
import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError } from "../../components/FormErrors";
import { DateTime, PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import "../../components/automation.css";
import { RecentExecutions } from "../../components/RecentExecutions";
import { Person } from "../../components/RecordParts";
import { useSecrets } from "../../api/secrets";
import { ActionsEditor } from "./ActionsEditor";
import { type Runbook, type RunbookWrite, useArchiveRunbook, useRunbook, useRunbookVersions, useSaveRunbook } from "./api";
import { type ActionDraft, actionToDraft, draftsToActions, emptyAction, paramsToSchema, schemaToParams } from "./model";
import { type ParametersState, ParametersEditor } from "./ParametersEditor";
import { type Problem, runbookProblems } from "./problems";
import { TestRun } from "./TestRun";

interface Draft {
  name: string;
  description: string;
  timeout: string;
  queue: string;
  secrets: string[];
  parameters: ParametersState;
  actions: ActionDraft[];
}

function toDraft(runbook: Runbook | undefined): Draft {
  const fields = schemaToParams(runbook?.parameters ?? null);
  return {
    name: runbook?.name ?? "",
    description: runbook?.description ?? "",
    timeout: String(runbook?.timeout_seconds ?? 300),
    queue: runbook && runbook.queue !== "default" ? runbook.queue : "",
    secrets: runbook?.secrets ?? [],
    parameters: {
      mode: fields ? "fields" : "json",
      fields: fields ?? [],
      json: runbook?.parameters ? JSON.stringify(runbook.parameters, null, 2) : "",
    },
    actions: runbook ? runbook.actions.map(actionToDraft) : [emptyAction("shell", 0)],
  };
}

/** The schema the parameters editor describes, or a problem with the JSON text. */
function schemaOf(state: ParametersState): { schema: Record<string, unknown> | null; error?: string } {
  if (state.mode === "fields") return { schema: paramsToSchema(state.fields) };
  if (!state.json.trim()) return { schema: null };
  try {
    const parsed: unknown = JSON.parse(state.json);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { schema: null, error: "The schema must be a JSON object." };
    return { schema: parsed as Record<string, unknown> };
  } catch (error) {
    return { schema: null, error: `Not valid JSON: ${error instanceof Error ? error.message : "parse error"}` };
  }
}

function SecretsPicker({ value, onChange, error }: { value: string[]; onChange: (next: string[]) => void; error?: string | undefined }) {
  const canList = usePermission("secrets.manage");
  const secrets = useSecrets(undefined, 200, { enabled: canList });
  const names = useMemo(() => {
    const listed = (secrets.data?.items ?? []).map((s) => s.name);
    return [...new Set([...listed, ...value])].sort();
  }, [secrets.data, value]);
  const [typed, setTyped] = useState(value.join(", "));
  if (!canList) {
    return (
      <TextField
        label="Secrets used"
        name="secrets"
        value={typed}
        onChange={(e) => {
          setTyped(e.target.value);
          onChange(e.target.value.split(/[\s,]+/).filter(Boolean));
        }}
        error={error}
        hint="Names, comma-separated; each reaches the scripts as an environment variable of that name."
      />
    );
  }
  return (
    <fieldset className={error ? "fieldset field--invalid" : "fieldset"}>
      <legend>Secrets used</legend>
      <p className="field-hint">
        Each reaches the scripts as an environment variable of its name, masked in logs. <Link to="/admin/secrets">Manage secrets</Link>
      </p>
      {secrets.isPending ? <Loading label="Loading secrets…" /> : null}
      {!secrets.isPending && !names.length ? <p className="muted">No secrets in this tenant yet.</p> : null}
      <ul className="checklist">
        {names.map((name) => (
          <li key={name}>
            <input
              type="checkbox"
              id={`secret-${name}`}
              checked={value.includes(name)}
              onChange={(e) => onChange(e.target.checked ? [...value, name] : value.filter((n) => n !== name))}
            />
            <label htmlFor={`secret-${name}`} className="mono">
              {name}
            </label>
          </li>
        ))}
      </ul>
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}

function Versions({ runbook }: { runbook: Runbook }) {
  const versions = useRunbookVersions(runbook.id);
  const canReadUsers = usePermission("users.read");
  return (
    <section className="panel" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {versions.isPending ? <Loading label="Loading versions…" /> : null}
      {versions.isError ? <ErrorState error={versions.error} onRetry={() => void versions.refetch()} /> : null}
      <ol className="plain-list" aria-label="Versions">
        {(versions.data?.items ?? []).map((v) => (
          <li key={v.version}>
            <details>
              <summary>
                Version {v.version}
                {v.version === runbook.version ? " (current)" : ""} · <DateTime value={v.created_at} /> · by{" "}
                <Person id={v.created_by ?? null} canReadUsers={canReadUsers} />
              </summary>
              <pre className="log-view">{JSON.stringify(v.definition, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Editor({ runbook }: { runbook: Runbook | undefined }) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => toDraft(runbook));
  const [dirty, setDirty] = useState(false);
  const [localProblems, setLocalProblems] = useState<Problem[]>([]);
  const [jsonError, setJsonError] = useState<string | undefined>();
  const location = useLocation();
  const created = (location.state as { created?: number } | null)?.created;
  const [notice, setNotice] = useState<string | null>(runbook && created ? `Created “${runbook.name}” (version ${created}).` : null);
  const [archiving, setArchiving] = useState(false);
  const save = useSaveRunbook();
  const archive = useArchiveRunbook();
  const form = useRef<HTMLFormElement>(null);
  const [submitCount, setSubmitCount] = useState(0);

  const { problems, top, paramProblems, perParam, summary } = runbookProblems(save.error, localProblems);
  useFocusOnError(submitCount && (save.error || localProblems.length || jsonError) ? submitCount : null, form);

  function change(patch: Partial<Draft>) {
    setDraft((d) => ({ ...d, ...patch }));
    setDirty(true);
  }

  function changeParameters(next: ParametersState) {
    if (next.mode !== draft.parameters.mode) {
      if (next.mode === "json") {
        const schema = paramsToSchema(draft.parameters.fields);
        change({ parameters: { ...next, json: schema ? JSON.stringify(schema, null, 2) : "" } });
        setJsonError(undefined);
        return;
      }
      const { schema, error } = schemaOf(draft.parameters);
      const fields = error ? null : schemaToParams(schema);
      if (!fields) {
        setJsonError(error ?? "This schema uses more than the field editor can show (nested objects, arrays, patterns…): edit it as JSON.");
        return;
      }
      setJsonError(undefined);
      change({ parameters: { ...next, fields } });
      return;
    }
    change({ parameters: next });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitCount((n) => n + 1);
    save.reset();
    const { actions, errors } = draftsToActions(draft.actions);
    const { schema, error } = schemaOf(draft.parameters);
    setJsonError(error);
    setLocalProblems(errors);
    if (errors.length || error) return;
    const timeout = Number(draft.timeout);
    const body = {
      name: draft.name.trim(),
      description: draft.description,
      parameters: schema,
      timeout_seconds: draft.timeout.trim() === "" ? 300 : Number.isFinite(timeout) ? timeout : (draft.timeout as unknown as number),
      secrets: draft.secrets,
      queue: draft.queue.trim() || null,
      actions,
    } as RunbookWrite;
    save.mutate(
      { ...(runbook ? { id: runbook.id } : {}), body },
      {
        onSuccess: (saved) => {
          setDirty(false);
          setNotice(`Saved “${saved.name}” as version ${saved.version}.`);
          if (!runbook) void navigate(`/runbooks/${saved.id}`, { replace: true, state: { created: saved.version } });
        },
      },
    );
  }

  return (
    <>
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <div className="split">
        <form ref={form} onSubmit={submit} noValidate aria-label="Runbook" className="form-stack">
          <FormSummary errors={summary} />
          <TextField label="Name" name="name" required value={draft.name} onChange={(e) => change({ name: e.target.value })} error={top("name")} />
          <TextAreaField label="Description" name="description" rows={2} value={draft.description} onChange={(e) => change({ description: e.target.value })} error={top("description")} />
          <ActionsEditor actions={draft.actions} onChange={(actions) => change({ actions })} errors={problems} error={problems.find((p) => p.field === "actions")?.message} />
          <ParametersEditor
            state={draft.parameters}
            onChange={changeParameters}
            jsonError={jsonError}
            fieldErrors={perParam}
            error={Object.keys(paramProblems).length ? Object.entries(paramProblems).map(([rest, m]) => (rest ? `${rest}: ${m}` : m)).join(" ") : undefined}
          />
          <SecretsPicker value={draft.secrets} onChange={(secrets) => change({ secrets })} error={top("secrets")} />
          <div className="filters">
            <TextField
              label="Timeout (seconds)"
              name="timeout_seconds"
              inputMode="numeric"
              value={draft.timeout}
              onChange={(e) => change({ timeout: e.target.value })}
              error={top("timeout_seconds")}
              hint="The whole run; 1 to 86400."
            />
            <TextField label="Queue" name="queue" value={draft.queue} onChange={(e) => change({ queue: e.target.value })} error={top("queue")} hint="Empty: the default queue." />
          </div>
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={save.isPending}>
              {save.isPending ? "Saving…" : runbook ? "Save new version" : "Create runbook"}
            </button>
            <Link className="button" to="/runbooks">
              Back to runbooks
            </Link>
            {runbook ? (
              <button type="button" className="button button--danger" onClick={() => setArchiving(true)}>
                Archive
              </button>
            ) : null}
            {dirty ? <span className="field-hint">Unsaved changes</span> : null}
          </div>
        </form>
        <div>
          {runbook ? <TestRun runbook={runbook} dirty={dirty} /> : <p className="muted">Save the runbook to test-run it.</p>}
          {runbook ? <Versions runbook={runbook} /> : null}
          {runbook ? <RecentExecutions of={{ runbookId: runbook.id }} current={runbook.version} /> : null}
        </div>
      </div>
      {runbook ? (
        <ArchiveDialog
          open={archiving}
          onClose={() => {
            setArchiving(false);
            archive.reset();
          }}
          title={`Archive ${runbook.name}?`}
          pending={archive.isPending}
          error={archive.error}
          onArchive={(force) => archive.mutate({ id: runbook.id, force }, { onSuccess: () => void navigate("/runbooks") })}
        >
          <p>Archived runbooks cannot be run or used by new workflow versions. Their executions stay visible.</p>
        </ArchiveDialog>
      ) : null}
    </>
  );
}

export function RunbookEditorPage() {
  const { runbookId } = useParams();
  const isNew = !runbookId || runbookId === "new";
  const runbook = useRunbook(isNew ? null : runbookId);
  const title = isNew ? "New runbook" : (runbook.data?.name ?? "Runbook");
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/runbooks">Runbooks</Link>
      </nav>
      <PageHeader
        title={title}
        description={runbook.data ? `Version ${runbook.data.version}${runbook.data.archived_at ? " · archived" : ""}` : "Actions run in order with the given parameters."}
      />
      {!isNew && runbook.isPending ? <Loading label="Loading the runbook…" /> : null}
      {!isNew && runbook.isError ? <ErrorState error={runbook.error} onRetry={() => void runbook.refetch()} /> : null}
      {isNew ? <Editor key="new" runbook={undefined} /> : runbook.data ? <Editor key={runbook.data.id} runbook={runbook.data} /> : null}
    </>
  );
}
