// A delay step's form: wait a number of seconds, or until a time (switching replaces the config).
import { SelectField, TextField } from "../../../components/Field";
import type { LocatedProblem } from "../graph/problems";
import { asNumber, asText, type Config, errorsAt, withKey } from "./fields";

export function DelayConfig({ config, problems, onChange }: { config: Config; problems: readonly LocatedProblem[]; onChange: (config: Config) => void }) {
  const mode = "until" in config ? "until" : "seconds";
  const whole = problems.filter((p) => p.sub === "config").map((p) => p.message);
  return (
    <>
      {whole.length ? <p className="field-error">{whole.join(" ")}</p> : null}
      <SelectField label="Wait" name="delay-mode" value={mode} onChange={(e) => onChange(e.target.value === "until" ? { until: "" } : { seconds: 60 })}>
        <option value="seconds">For a number of seconds</option>
        <option value="until">Until a time</option>
      </SelectField>
      {mode === "seconds" ? (
        <TextField label="Seconds" name="config.seconds" inputMode="numeric" value={asText(config.seconds)} onChange={(e) => onChange(withKey(config, "seconds", asNumber(e.target.value) ?? ""))} error={errorsAt(problems, "config.seconds")} />
      ) : (
        <TextField label="Until (ISO-8601 with time zone, or a template)" name="config.until" value={asText(config.until)} onChange={(e) => onChange(withKey(config, "until", e.target.value))} error={errorsAt(problems, "config.until")} hint="e.g. 2030-01-01T09:00:00Z or {{ inputs.when }}" />
      )}
    </>
  );
}
