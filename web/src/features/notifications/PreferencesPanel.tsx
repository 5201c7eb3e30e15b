// "How you hear of approvals": the in-app inbox always; e-mail and Slack direct messages each on or off.
import { useState } from "react";

import { useMe } from "../../api/session";
import { CheckboxField } from "../../components/Field";
import { useFormErrors } from "../../components/FormErrors";
import { ErrorState, Notice } from "../../components/States";
import { type PreferencesChange, useSavePreferences } from "./preferencesApi";

const FIELDS = ["notifications.email", "notifications.slack"] as const;

export function PreferencesPanel() {
  const me = useMe();
  const save = useSavePreferences();
  const [notice, setNotice] = useState<string | null>(null);
  const errors = useFormErrors(save.error, FIELDS);
  const preferences = me.data?.notifications;
  if (!preferences) return null;

  function change(update: PreferencesChange, what: string) {
    setNotice(null);
    save.mutate(update, { onSuccess: () => setNotice(`${what} saved.`) });
  }

  return (
    <section className="panel" aria-label="Notification preferences">
      <h2>How you hear of approvals and requests</h2>
      <p className="field-hint">The in-app inbox below always gets every notice.</p>
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {save.isError && !errors.fields["notifications.email"] && !errors.fields["notifications.slack"] ? (
        <ErrorState error={save.error} title="Your preferences were not saved" />
      ) : null}
      <CheckboxField
        label="E-mail"
        name="notifications.email"
        checked={preferences.email}
        disabled={save.isPending}
        error={errors.fields["notifications.email"]}
        onChange={(e) => change({ email: e.target.checked }, "E-mail preference")}
      />
      <CheckboxField
        label="Slack direct messages (with Approve / Reject buttons)"
        name="notifications.slack"
        checked={preferences.slack}
        disabled={save.isPending}
        error={errors.fields["notifications.slack"]}
        hint="Sent when your organisation has connected its Slack workspace and your Slack e-mail matches this account."
        onChange={(e) => change({ slack: e.target.checked }, "Slack preference")}
      />
    </section>
  );
}
