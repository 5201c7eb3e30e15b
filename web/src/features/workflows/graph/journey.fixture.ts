// A workflow that uses every kind of step and edge (an outcome word, an expression, no condition), for the tests.
import type { ApiGraph } from "./flow";

export const JOURNEY: ApiGraph = {
  steps: [
    { id: "build", type: "runbook", name: "Build", config: { runbook_id: "r1", parameters: { env: "{{ inputs.env }}" } } },
    { id: "check", type: "condition", name: "", config: { expression: "inputs.env == 'prod'" } },
    { id: "gate", type: "approval", name: "CAB", config: { approvers: [{ type: "role", value: "cab" }] } },
    { id: "deploy", type: "runbook", name: "Deploy", config: { runbook_id: "r2" } },
    { id: "tell", type: "notification", name: "", config: { channel: "ops", subject: "skipped" } },
  ],
  edges: [
    { from: "build", to: "check" },
    { from: "check", to: "gate", condition: "true" },
    { from: "gate", to: "deploy", condition: "approved" },
    { from: "check", to: "tell", condition: "false" },
    { from: "deploy", to: "tell", condition: "steps.deploy.outputs.changed == 'yes'" },
  ],
};
