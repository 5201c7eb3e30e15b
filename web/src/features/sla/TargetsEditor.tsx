// A policy's targets, one row each: what is timed (the approval ladder or one of its steps, fulfilment, resolution),
// how many minutes, and in business or wall-clock time.
import type { Dispatch, SetStateAction } from "react";

import { SelectField, TextField } from "../../components/Field";
import { emptyTarget, TARGET_NAMES, type TargetDraft, type TargetKind } from "./model";

export const TARGET_FIELDS = ["target", "step", "minutes", "clock"];

export function TargetsEditor({ targets, setTargets, errors }: { targets: TargetDraft[]; setTargets: Dispatch<SetStateAction<TargetDraft[]>>; errors: Record<string, string> }) {
  const change = (index: number, patch: Partial<TargetDraft>) => setTargets((all) => all.map((t, i) => (i === index ? { ...t, ...patch } : t)));
  return (
    <fieldset className={errors.targets ? "fieldset field--invalid" : "fieldset"} aria-label="Targets">
      <legend>Targets</legend>
      {errors.targets ? <p className="field-error">{errors.targets}</p> : null}
      {targets.map((t, index) => {
        const f = (name: string) => errors[`targets.${index}.${name}`] ?? errors[`targets.${index}`];
        return (
          <fieldset key={index} className="fieldset" aria-label={`Target ${index + 1}`}>
            <legend>Target {index + 1}</legend>
            <SelectField label="Times" name={`targets.${index}.target`} value={t.target} onChange={(e) => change(index, { target: e.target.value as TargetKind })} error={f("target")}>
              {Object.entries(TARGET_NAMES).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </SelectField>
            {t.target === "approval_step" ? (
              <TextField label="Step" name={`targets.${index}.step`} inputMode="numeric" value={t.step} onChange={(e) => change(index, { step: e.target.value })} error={errors[`targets.${index}.step`]} hint="The ladder's step, counted from 1: from its opening to its decision." />
            ) : null}
            <TextField label="Minutes" name={`targets.${index}.minutes`} inputMode="numeric" value={t.minutes} onChange={(e) => change(index, { minutes: e.target.value })} error={errors[`targets.${index}.minutes`]} hint="480 is 8 hours (a business day of a 9-to-5 calendar)." required />
            <SelectField label="Clock" name={`targets.${index}.clock`} value={t.clock} onChange={(e) => change(index, { clock: e.target.value as TargetDraft["clock"] })} error={errors[`targets.${index}.clock`]}>
              <option value="business">Business time (the calendar&apos;s open hours)</option>
              <option value="wall">Wall clock (around the clock)</option>
            </SelectField>
            <div className="form-actions">
              <button type="button" className="button button--small button--danger" onClick={() => setTargets((all) => all.filter((_, i) => i !== index))} aria-label={`Remove target ${index + 1}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" className="button button--small" onClick={() => setTargets((all) => [...all, emptyTarget()])}>
        Add target
      </button>
    </fieldset>
  );
}
