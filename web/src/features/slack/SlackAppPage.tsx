// Admin → Slack: the tenant's Slack app (bot token and signing secret, write-only), a token test (auth.test),
// the interactivity request URL to paste into the app's settings, removal.
import { type FormEvent, useRef, useState } from "react";

import { CheckboxField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { type SlackApp, useDeleteSlackApp, useSaveSlackApp, useSlackApp, useTestSlackApp } from "./api";
import { slackBodyOf, type SlackDraft, slackDraftOf, slackTestSummary } from "./model";

const FIELDS = ["enabled", "bot_token", "signing_secret"] as const;

function SlackForm({ app }: { app: SlackApp | null }) {
  const save = useSaveSlackApp();
  const remove = useDeleteSlackApp();
  const test = useTestSlackApp();
  const [draft, setDraft] = useState<SlackDraft>(() => slackDraftOf(app));
  const [notice, setNotice] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(save.error, FIELDS);
  useFocusOnError(save.error, form);
  const set = (change: Partial<SlackDraft>) => setDraft((d) => ({ ...d, ...change }));
  const kept = (has: boolean | undefined) => (has ? "Stored; leave empty to keep it." : undefined);

  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    save.mutate(slackBodyOf(draft), {
      onSuccess: () => {
        set({ bot_token: "", signing_secret: "" });
        setNotice("Slack app saved.");
      },
    });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate className="panel form-narrow" aria-label="Slack app">
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={errors} title="The Slack app was not saved" />
      {app ? (
        <p className="field-hint">
          Interactivity request URL for the app's settings: <code>{app.interactivity_url}</code>
          {app.team_name ? ` · workspace ${app.team_name}` : null}
        </p>
      ) : null}
      <CheckboxField label="Send approval notices to Slack" name="enabled" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} error={errors.fields.enabled} />
      <TextField
        label="Bot token"
        name="bot_token"
        type="password"
        autoComplete="off"
        value={draft.bot_token}
        onChange={(e) => set({ bot_token: e.target.value })}
        hint={kept(app?.has_bot_token) ?? "xoxb-… from OAuth & Permissions."}
        error={errors.fields.bot_token}
        required={!app}
        spellCheck={false}
      />
      <TextField
        label="Signing secret"
        name="signing_secret"
        type="password"
        autoComplete="off"
        value={draft.signing_secret}
        onChange={(e) => set({ signing_secret: e.target.value })}
        hint={kept(app?.has_signing_secret) ?? "From Basic Information → App Credentials."}
        error={errors.fields.signing_secret}
        required={!app}
        spellCheck={false}
      />
      {test.data ? (
        <div className={test.data.ok ? "notice" : "notice notice--warn"} role="status" aria-label="Token test">
          <p>{slackTestSummary(test.data)}</p>
        </div>
      ) : null}
      {test.isError ? <ErrorState error={test.error} title="The token could not be tested" /> : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {app ? (
          <>
            <button type="button" className="button" onClick={() => test.mutate()} disabled={test.isPending}>
              {test.isPending ? "Testing…" : "Test"}
            </button>
            <button type="button" className="button button--danger" onClick={() => remove.mutate(undefined, { onSuccess: () => setDraft(slackDraftOf(null)) })}>
              Remove
            </button>
          </>
        ) : null}
      </div>
    </form>
  );
}

export function SlackAppPage() {
  const app = useSlackApp();
  return (
    <>
      <PageHeader title="Slack" description="Approvers get approval notices as Slack direct messages and approve or reject them there." />
      {app.isPending ? <Loading label="Loading the Slack app…" /> : null}
      {app.isError ? <ErrorState error={app.error} onRetry={() => void app.refetch()} /> : null}
      {app.data !== undefined ? <SlackForm app={app.data} /> : null}
    </>
  );
}
