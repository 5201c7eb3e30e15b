// An approval step's form: its approvers (a user or group found by search, or typed; a role; anyone), how many
// approvals it needs, the message to the approvers, what a timeout does, and its reminders and escalation.
import { useState } from "react";

import { usePermission } from "../../../app/session";
import { SelectField, TextAreaField, TextField } from "../../../components/Field";
import { GroupPicker } from "../../../components/GroupPicker";
import { UserName, UserPicker } from "../../../components/UserPicker";
import { EscalationConfig } from "./EscalationConfig";
import { asNumber, asText, type ConfigProps, errorsAt } from "./fields";

interface Approver {
  type: string;
  value?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function ApproverValue({ approver, label, onChange }: { approver: Approver; label: string; onChange: (value: string) => void }) {
  const canReadUsers = usePermission("users.read");
  const value = approver.value ?? "";
  const [picking, setPicking] = useState(!value);
  if (approver.type === "any") return <p className="muted">Anyone in the tenant may approve.</p>;
  if (approver.type === "role") return <TextField label={`${label}: role`} name="approver-role" value={value} onChange={(e) => onChange(e.target.value)} />;
  if (canReadUsers && picking) {
    const pick = (v: string) => {
      onChange(v);
      setPicking(false);
    };
    return approver.type === "user" ? (
      <UserPicker label={`${label}: find a user`} onPick={(user) => pick(user.email)} />
    ) : (
      <GroupPicker label={`${label}: find a group`} onPick={(group) => pick(group.name)} />
    );
  }
  return (
    <div className="approver-value">
      <TextField label={`${label}: ${approver.type === "user" ? "user (email or id)" : "group (name or id)"}`} name="approver-value" value={value} onChange={(e) => onChange(e.target.value)} />
      {approver.type === "user" && UUID.test(value) ? (
        <p className="field-hint">
          <UserName id={value} />
        </p>
      ) : null}
      {canReadUsers ? (
        <button type="button" className="button button--small button--ghost" onClick={() => setPicking(true)}>
          Search instead
        </button>
      ) : null}
    </div>
  );
}

export function ApprovalConfig({ config, problems, setConfig }: ConfigProps) {
  const approvers: Approver[] = Array.isArray(config.approvers) ? (config.approvers as Approver[]) : [];
  const setApprovers = (next: Approver[]) => setConfig("approvers", next);
  const listError = problems.filter((p) => p.sub === "config.approvers").map((p) => p.message);
  return (
    <>
      <fieldset className={listError.length ? "fieldset field--invalid" : "fieldset"}>
        <legend>Approvers</legend>
        {listError.length ? <p className="field-error">{listError.join(" ")}</p> : null}
        {approvers.map((approver, j) => (
          // Approvers have no identity but their place in the list.
          <div className="approver" key={`${j}-${approver.type}`}>
            <SelectField
              label={`Approver ${j + 1}`}
              name={`approver-${j}-type`}
              value={approver.type}
              onChange={(e) => setApprovers(approvers.map((a, i) => (i === j ? (e.target.value === "any" ? { type: "any" } : { type: e.target.value, value: "" }) : a)))}
              error={errorsAt(problems, `config.approvers[${j}]`)}
            >
              <option value="user">A user</option>
              <option value="group">A group</option>
              <option value="role">A role</option>
              <option value="any">Anyone</option>
            </SelectField>
            <ApproverValue approver={approver} label={`Approver ${j + 1}`} onChange={(value) => setApprovers(approvers.map((a, i) => (i === j ? { ...a, value } : a)))} />
            <button type="button" className="button button--small button--ghost" onClick={() => setApprovers(approvers.filter((_, i) => i !== j))} aria-label={`Remove approver ${j + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="button button--small" onClick={() => setApprovers([...approvers, { type: "user", value: "" }])}>
          Add approver
        </button>
      </fieldset>
      <TextField label="Approvals needed" name="config.min_approvals" inputMode="numeric" value={asText(config.min_approvals ?? 1)} onChange={(e) => setConfig("min_approvals", asNumber(e.target.value))} error={errorsAt(problems, "config.min_approvals")} />
      <TextAreaField label="Message to the approvers (template)" name="config.message" rows={2} value={asText(config.message)} onChange={(e) => setConfig("message", e.target.value || undefined)} error={errorsAt(problems, "config.message")} />
      <TextField label="Timeout (seconds)" name="config.timeout_seconds" inputMode="numeric" value={asText(config.timeout_seconds)} onChange={(e) => setConfig("timeout_seconds", asNumber(e.target.value))} error={errorsAt(problems, "config.timeout_seconds")} />
      <SelectField label="On timeout" name="config.on_timeout" value={asText(config.on_timeout) || "reject"} onChange={(e) => setConfig("on_timeout", e.target.value === "reject" ? undefined : e.target.value)} error={errorsAt(problems, "config.on_timeout")}>
        <option value="reject">Reject</option>
        <option value="approve">Approve</option>
        <option value="skip">Skip the gate (its approved edges are not taken)</option>
      </SelectField>
      <EscalationConfig config={config} problems={problems} setConfig={setConfig} />
    </>
  );
}
