// The "Triggers" section of a saved workflow's builder page: what starts the workflow besides "Run" (a schedule, a
// webhook, an ITSM event). A list with an enabled switch, add/edit in a dialog (the API's messages beside the
// fields they name), delete after a confirmation, and a new webhook's secret URL shown once with a curl example.
import "./triggers.css";

import { useMemo, useState } from "react";

import { describeError } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { EmptyState, ErrorState, Loading, Notice } from "../../../components/States";
import { type Trigger, useCatalogOptions, useTriggers, useUpdateTrigger } from "./api";
import { KIND_LABELS, type TriggerKind, triggerSummary, webhookUrl } from "./format";
import { DeleteDialog, WebhookCreated } from "./TriggerDialogs";
import { type Editing, TriggerFormView } from "./TriggerForm";
import { TriggersTable } from "./TriggersTable";

export function TriggersPanel({ workflowId }: { workflowId: string }) {
  const triggers = useTriggers(workflowId);
  const update = useUpdateTrigger(workflowId);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Trigger | null>(null);
  const [hookUrl, setHookUrl] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ message: string; tone: "good" | "warn" } | null>(null);
  const items = triggers.data?.items ?? [];
  const namesItems = items.some((t) => t.kind === "itsm_event" && t.config.catalog_item_id);
  const catalog = useCatalogOptions(namesItems || editing !== null);
  const catalogNames = useMemo(() => Object.fromEntries((catalog.data?.items ?? []).map((i) => [i.id, i.name])), [catalog.data]);

  function toggle(trigger: Trigger) {
    update.mutate(
      { id: trigger.id, body: { enabled: !trigger.enabled } },
      {
        onSuccess: (t) => setNotice({ message: `${KIND_LABELS[t.kind as TriggerKind] ?? t.kind} trigger ${t.enabled ? "enabled" : "disabled"}.`, tone: "good" }),
        onError: (error) => setNotice({ message: `Not changed: ${describeError(error)}`, tone: "warn" }),
      },
    );
  }

  return (
    <section className="builder-triggers" aria-labelledby="triggers-title">
      <div className="triggers-header">
        <h2 id="triggers-title">Triggers</h2>
        <button type="button" className="button button--small" onClick={() => setEditing({ mode: "add" })}>
          Add trigger
        </button>
      </div>
      <p className="muted">What starts this workflow besides Run: a schedule, a webhook, or an ITSM event. It always runs the latest saved version.</p>
      <Notice message={notice?.message ?? null} tone={notice?.tone ?? "good"} onDismiss={() => setNotice(null)} />
      {triggers.isPending ? <Loading label="Loading the triggers…" /> : null}
      {triggers.isError ? <ErrorState error={triggers.error} onRetry={() => void triggers.refetch()} /> : null}
      {triggers.isSuccess && !items.length ? <EmptyState title="No triggers">This workflow only starts when someone runs it.</EmptyState> : null}
      {items.length ? (
        <TriggersTable
          items={items}
          busy={triggers.isFetching}
          catalogNames={catalogNames}
          actions={{ toggling: update.isPending ? update.variables.id : undefined, onToggle: toggle, onEdit: (trigger) => setEditing({ mode: "edit", trigger }), onDelete: setDeleting }}
        />
      ) : null}

      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing?.mode === "edit" ? "Edit the trigger" : "Add a trigger"} wide>
        {editing ? (
          <TriggerFormView
            workflowId={workflowId}
            editing={editing}
            catalog={catalog.data?.items ?? []}
            catalogLoading={catalog.isPending && catalog.fetchStatus !== "idle"}
            onCancel={() => setEditing(null)}
            onDone={(trigger) => {
              setEditing(null);
              if (trigger.url) setHookUrl(webhookUrl(window.location.origin, trigger.url));
              else setNotice({ message: editing.mode === "edit" ? "Trigger saved." : "Trigger added.", tone: "good" });
            }}
          />
        ) : null}
      </Dialog>

      <Dialog open={hookUrl !== null} onClose={() => setHookUrl(null)} title="Webhook created" wide>
        {hookUrl ? <WebhookCreated url={hookUrl} onClose={() => setHookUrl(null)} /> : null}
      </Dialog>

      {deleting ? <DeleteDialog workflowId={workflowId} trigger={deleting} summary={triggerSummary(deleting, catalogNames)} onClose={() => setDeleting(null)} onDeleted={() => setNotice({ message: "Trigger deleted.", tone: "good" })} /> : null}
    </section>
  );
}
