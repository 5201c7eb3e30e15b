// A new webhook's secret URL, shown once with a copy button and a curl example; and the confirmation before a
// trigger is deleted.
import { useState } from "react";

import { ConfirmDialog } from "../../../components/Dialog";
import { TextField } from "../../../components/Field";
import { type Trigger, useDeleteTrigger } from "./api";
import { curlExample, KIND_LABELS, type TriggerKind } from "./format";

export function WebhookCreated({ url, onClose }: { url: string; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  function copy() {
    const failed = "Could not copy: select the URL and copy it by hand.";
    // The clipboard API exists only in secure contexts (https, localhost).
    if (!("clipboard" in navigator)) {
      setCopied(failed);
      return;
    }
    navigator.clipboard.writeText(url).then(
      () => setCopied("Copied."),
      () => setCopied(failed),
    );
  }
  return (
    <div className="webhook-created">
      <p className="webhook-once" role="note">
        <strong>This URL is shown only once.</strong> Copy it now: only its hash is stored, so it cannot be shown again. Anyone who has it can start the workflow; if it leaks, delete this trigger and add a new one.
      </p>
      <div className="webhook-url">
        <TextField label="Webhook URL" name="webhook-url" className="mono" value={url} readOnly onFocus={(e) => e.target.select()} />
        <button type="button" className="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" aria-live="polite" className="muted">
        {copied}
      </p>
      <p>Try it:</p>
      <pre className="webhook-curl" aria-label="curl example">
        <code>{curlExample(url)}</code>
      </pre>
      <div className="form-actions">
        <button type="button" className="button button--primary" onClick={onClose}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

export function DeleteDialog({ workflowId, trigger, summary, onClose, onDeleted }: { workflowId: string; trigger: Trigger; summary: string; onClose: () => void; onDeleted: () => void }) {
  const remove = useDeleteTrigger(workflowId);
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Delete this trigger?"
      confirmLabel="Delete"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() =>
        remove.mutate(trigger.id, {
          onSuccess: () => {
            onDeleted();
            onClose();
          },
        })
      }
    >
      <p>
        {KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}: {summary}. It stops starting the workflow{trigger.kind === "webhook" ? " and its URL stops working" : ""}; executions it already started
        are kept.
      </p>
    </ConfirmDialog>
  );
}
