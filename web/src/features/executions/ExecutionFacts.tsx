// An execution's facts on its page: status (announced as it changes), who started it, what caused it, when it was
// created and finished, and its error.
import type { Execution } from "../../api/executions";
import { Badge, DateTime } from "../../components/Page";
import { executionStatusTone } from "../../components/status";
import { UserName } from "../../components/UserPicker";
import { CausedBy } from "./CausedBy";

export function ExecutionFacts({ execution }: { execution: Execution }) {
  return (
    <dl className="execution-facts">
      <div>
        <dt>Status</dt>
        <dd>
          <span role="status" aria-live="polite">
            <Badge tone={executionStatusTone(execution.status)}>{execution.status.replace("_", " ")}</Badge>
          </span>
        </dd>
      </div>
      <div>
        <dt>Started by</dt>
        <dd>
          <UserName id={execution.started_by} />
        </dd>
      </div>
      <div>
        <dt>Caused by</dt>
        <dd>
          <CausedBy cause={execution.cause} chain={execution.caused_by ?? []} />
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <DateTime value={execution.created_at} />
        </dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd>
          <DateTime value={execution.finished_at} />
        </dd>
      </div>
      {execution.error ? (
        <div>
          <dt>Error</dt>
          <dd>{execution.error}</dd>
        </div>
      ) : null}
    </dl>
  );
}
