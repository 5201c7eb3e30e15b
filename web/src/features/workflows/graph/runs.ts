// An execution as the canvas shows it: the run of each step. Status tones and version labels are components/status.ts.
// Pure, unit-tested.

/** The step-run of each step id (the latest when a step ran more than once). */
export function runsByStep<T extends { step_id?: string | null; name: string; position: number }>(runs: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const run of [...runs].sort((a, b) => a.position - b.position)) out[run.step_id ?? run.name] = run;
  return out;
}

