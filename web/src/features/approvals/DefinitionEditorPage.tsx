// ITSM admin → one approval definition: name, four-eyes opt-out, and the ordered ladder of approval steps (add,
// move, remove, run in parallel; approver with user/group pickers; quorum; timeout; reminders and escalation).
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { usePermission } from "../../app/session";
import { ArchiveDialog } from "../../components/ArchiveDialog";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { UserPicker } from "../../components/UserPicker";
import "../../components/portal.css";
import { type Definition, useArchiveDefinition, useDefinition, useSaveDefinition } from "../../api/approvals";
import { GroupPicker } from "../../components/GroupPicker";
import {
  addStep,
  type ApproverType,
  fromStepRead,
  hasQuorum,
  type LadderStep,
  moveStep,
  removeStep,
  setParallel,
  sortLadder,
  toStepWrite,
} from "./ladder";
import { StepTimers } from "./StepTimers";

const STEP_FIELDS = [
  "name",
  "order",
  "approver_type",
  "approver_value",
  "required",
  "min_approvals",
  "timeout",
  "on_timeout",
  "remind_after",
  "escalate_after",
  "escalate_to",
  "escalation_replaces",
];
const APPROVER_TYPES: { value: ApproverType; label: string }[] = [
  { value: "manager", label: "Requester's manager" },
  { value: "user", label: "A user" },
  { value: "group", label: "A group" },
  { value: "role", label: "A role" },
  { value: "any", label: "Anyone in the tenant" },
];

function StepEditor({
  step,
  index,
  count,
  previousOrder,
  errors,
  onChange,
  onMove,
  onRemove,
  onParallel,
}: {
  step: LadderStep;
  index: number;
  count: number;
  previousOrder: number | undefined;
  errors: Record<string, string>;
  onChange: (patch: Partial<LadderStep>) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
  onParallel: (parallel: boolean) => void;
}) {
  const canReadUsers = usePermission("users.read");
  const f = (name: string) => errors[`steps.${index}.${name}`];
  const stepError = errors[`steps.${index}`];
  const [picking, setPicking] = useState(!step.approver_value);
  return (
    <fieldset className="fieldset" aria-label={`Step ${index + 1}: ${step.name || "unnamed"}`}>
      <legend>
        Step {index + 1} · order {step.order}
        {previousOrder === step.order ? " (parallel with the previous step)" : ""}
      </legend>
      {stepError ? <p className="field-error">{stepError}</p> : null}
      <TextField label="Step name" name={`steps.${index}.name`} value={step.name} onChange={(e) => onChange({ name: e.target.value })} error={f("name")} required />
      <SelectField
        label="Approver"
        name={`steps.${index}.approver_type`}
        value={step.approver_type}
        onChange={(e) => {
          onChange({ approver_type: e.target.value as ApproverType, approver_value: "", approver_label: undefined });
          setPicking(true);
        }}
        error={f("approver_type")}
      >
        {APPROVER_TYPES.map((t) => (
          <option key={t.value} value={t.value}>
            {t.label}
          </option>
        ))}
      </SelectField>
      {step.approver_type === "role" ? (
        <TextField
          label="Role"
          name={`steps.${index}.approver_value`}
          value={step.approver_value}
          onChange={(e) => onChange({ approver_value: e.target.value })}
          error={f("approver_value")}
          hint="Any role name, for example cab or finance."
          required
        />
      ) : null}
      {(step.approver_type === "user" || step.approver_type === "group") && (!canReadUsers || !picking) ? (
        <TextField
          label={step.approver_type === "user" ? "User (id or email)" : "Group (id or name)"}
          name={`steps.${index}.approver_value`}
          value={step.approver_label ?? step.approver_value}
          onChange={(e) => onChange({ approver_value: e.target.value, approver_label: undefined })}
          error={f("approver_value")}
          required
          hint={
            canReadUsers ? (
              <button type="button" className="button button--small button--ghost" onClick={() => setPicking(true)}>
                Search instead
              </button>
            ) : undefined
          }
        />
      ) : null}
      {(step.approver_type === "user" || step.approver_type === "group") && canReadUsers && picking ? (
        <div className={f("approver_value") ? "field field--invalid" : "field"}>
          {step.approver_type === "user" ? (
            <UserPicker
              label="Find the approver"
              onPick={(user) => {
                onChange({ approver_value: user.email, approver_label: user.email });
                setPicking(false);
              }}
            />
          ) : (
            <GroupPicker
              label="Find the group"
              onPick={(group) => {
                onChange({ approver_value: group.id, approver_label: group.name });
                setPicking(false);
              }}
            />
          )}
          {f("approver_value") ? <p className="field-error">{f("approver_value")}</p> : null}
        </div>
      ) : null}
      <CheckboxField label="Required (a rejection rejects the request)" name={`steps.${index}.required`} checked={step.required} onChange={(e) => onChange({ required: e.target.checked })} error={f("required")} />
      {hasQuorum(step.approver_type) ? (
        <TextField
          label="Approvals needed"
          name={`steps.${index}.min_approvals`}
          type="number"
          min={1}
          value={String(step.min_approvals)}
          onChange={(e) => onChange({ min_approvals: Math.max(1, Number(e.target.value) || 1) })}
          error={f("min_approvals")}
        />
      ) : null}
      <StepTimers step={step} index={index} error={f} onChange={onChange} />
      {index > 0 ? (
        <CheckboxField
          label="Run in parallel with the previous step"
          name={`steps.${index}.parallel`}
          checked={previousOrder === step.order}
          onChange={(e) => onParallel(e.target.checked)}
        />
      ) : null}
      <div className="form-actions form-actions--wrap">
        <button type="button" className="button button--small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move step ${step.name} up`}>
          Move up
        </button>
        <button type="button" className="button button--small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`Move step ${step.name} down`}>
          Move down
        </button>
        <button type="button" className="button button--small button--danger" disabled={count === 1} onClick={onRemove} aria-label={`Remove step ${step.name}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}

function DefinitionForm({ definition }: { definition?: Definition }) {
  const [name, setName] = useState(definition?.name ?? "");
  const [description, setDescription] = useState(definition?.description ?? "");
  const [allowSelf, setAllowSelf] = useState(definition?.allow_self_approval ?? false);
  const [steps, setSteps] = useState<LadderStep[]>(() =>
    definition ? sortLadder(definition.steps.map(fromStepRead)) : addStep([], { name: "Manager", approver_type: "manager" }),
  );
  const save = useSaveDefinition();
  const archive = useArchiveDefinition();
  const [archiving, setArchiving] = useState(false);
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const fields = useMemo(() => ["name", "description", "allow_self_approval", "steps", ...steps.flatMap((_, i) => [`steps.${i}`, ...STEP_FIELDS.map((f) => `steps.${i}.${f}`)])], [steps]);
  const errors = useFormErrors(save.error, fields);
  useFocusOnError(save.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = { name: name.trim(), description: description.trim(), allow_self_approval: allowSelf, steps: sortLadder(steps).map(toStepWrite) };
    save.mutate(definition ? { id: definition.id, body } : { body }, {
      onSuccess: (saved) => {
        if (!definition) void navigate(`/itsm/approval-definitions/${saved.id}`, { replace: true });
        else setNotice(`Saved as version ${saved.version}. Running approvals keep the version they started with.`);
      },
    });
  }

  return (
    <>
      <form ref={form} onSubmit={submit} noValidate aria-label="Approval definition" className="panel">
        <Notice message={notice} onDismiss={() => setNotice(null)} />
        <FormSummary errors={errors} title="The definition was not saved" />
        <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
        <TextAreaField label="Description" name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} error={errors.fields.description} />
        <CheckboxField
          label="Let requesters approve their own requests"
          name="allow_self_approval"
          checked={allowSelf}
          onChange={(e) => setAllowSelf(e.target.checked)}
          hint="Off by default (four-eyes rule)."
          error={errors.fields.allow_self_approval}
        />
        <h2>Ladder</h2>
        {errors.fields.steps ? <p className="field-error">{errors.fields.steps}</p> : null}
        <ol className="ladder ladder--editor" aria-label="Approval steps in order">
          {steps.map((step, index) => (
            <li key={step.key}>
              <StepEditor
                step={step}
                index={index}
                count={steps.length}
                previousOrder={steps[index - 1]?.order}
                errors={errors.fields}
                onChange={(patch) => setSteps((all) => all.map((s, i) => (i === index ? { ...s, ...patch } : s)))}
                onMove={(delta) => setSteps((all) => moveStep(all, index, delta))}
                onRemove={() => setSteps((all) => removeStep(all, index))}
                onParallel={(parallel) => setSteps((all) => setParallel(all, index, parallel))}
              />
            </li>
          ))}
        </ol>
        <div className="form-actions form-actions--wrap">
          <button type="button" className="button" onClick={() => setSteps((all) => addStep(all))}>
            Add step
          </button>
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : definition ? "Save new version" : "Create definition"}
          </button>
          <Link to="/itsm/approval-definitions" className="button button--ghost">
            Back to the list
          </Link>
          {definition?.status === "active" ? (
            <button type="button" className="button button--danger" onClick={() => setArchiving(true)}>
              Archive
            </button>
          ) : null}
        </div>
      </form>
      {definition ? (
        <ArchiveDialog
          open={archiving}
          onClose={() => {
            setArchiving(false);
            archive.reset();
          }}
          title={`Archive ${definition.name}?`}
          pending={archive.isPending}
          error={archive.error}
          onArchive={(force) =>
            archive.mutate({ id: definition.id, force }, { onSuccess: () => void navigate("/itsm/approval-definitions") })
          }
        >
          <p>No new request or change can start an approval from it. Approvals already running carry on, and it stays readable.</p>
        </ArchiveDialog>
      ) : null}
    </>
  );
}

export function DefinitionEditorPage() {
  const { definitionId } = useParams();
  const isNew = !definitionId || definitionId === "new";
  const definition = useDefinition(isNew ? undefined : definitionId);
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/itsm/approval-definitions">Approval definitions</Link>
      </nav>
      <PageHeader
        title={isNew ? "New approval definition" : (definition.data?.name ?? "Approval definition")}
        description={definition.data ? `Version ${definition.data.version} · ${definition.data.status}` : "Steps run in ascending order; steps that share an order run in parallel."}
      />
      {isNew ? <DefinitionForm /> : null}
      {!isNew && definition.isPending ? <Loading label="Loading the definition…" /> : null}
      {!isNew && definition.isError ? <ErrorState error={definition.error} onRetry={() => void definition.refetch()} /> : null}
      {!isNew && definition.data ? <DefinitionForm key={definition.data.id} definition={definition.data} /> : null}
    </>
  );
}
