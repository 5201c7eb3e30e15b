// A notification step's form: the channel (chosen from the tenant's channels when the user may list them), and
// the subject and body templates.
import { usePermission } from "../../../app/session";
import { SelectField, TextAreaField, TextField } from "../../../components/Field";
import { useChannelOptions } from "../api";
import { asText, type ConfigProps, errorsAt } from "./fields";

export function NotificationConfig({ config, problems, setConfig }: ConfigProps) {
  const canListChannels = usePermission("channels.manage");
  const channels = useChannelOptions(canListChannels);
  const current = asText(config.channel);
  const items = channels.data?.items ?? [];
  return (
    <>
      {canListChannels && !channels.isError ? (
        <SelectField label="Channel" name="config.channel" value={current} onChange={(e) => setConfig("channel", e.target.value)} error={errorsAt(problems, "config.channel")}>
          <option value="">{channels.isPending ? "Loading channels…" : "Choose a channel…"}</option>
          {current && !items.some((c) => c.id === current || c.name === current) ? <option value={current}>{current}</option> : null}
          {items.map((c) => (
            <option key={c.id} value={c.name}>
              {c.name} ({c.type})
            </option>
          ))}
        </SelectField>
      ) : (
        <TextField label="Channel (id or name)" name="config.channel" value={current} onChange={(e) => setConfig("channel", e.target.value)} error={errorsAt(problems, "config.channel")} />
      )}
      <TextField label="Subject (template)" name="config.subject" value={asText(config.subject)} onChange={(e) => setConfig("subject", e.target.value)} error={errorsAt(problems, "config.subject")} required />
      <TextAreaField label="Body (template)" name="config.body" rows={3} value={asText(config.body)} onChange={(e) => setConfig("body", e.target.value || undefined)} error={errorsAt(problems, "config.body")} />
    </>
  );
}
