// A record's SLA clocks: each target with its colour and time left (request and change pages), and the most urgent
// one as a badge (queue rows).
import { Badge, DateTime } from "./Page";
import { mostUrgent, type SlaClock, slaTone, slaWords, targetLabel } from "./sla";

export function SlaClocks({ clocks }: { clocks: readonly SlaClock[] }) {
  if (!clocks.length) return null;
  return (
    <dl className="facts" aria-label="Service levels">
      {clocks.map((c) => (
        <div key={`${c.target}-${c.step ?? ""}`} style={{ display: "contents" }}>
          <dt>{targetLabel(c.target, c.step)}</dt>
          <dd>
            <Badge tone={slaTone(c)}>{slaWords(c)}</Badge> due <DateTime value={c.due_at} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function SlaBadge({ clocks }: { clocks: readonly SlaClock[] }) {
  const urgent = mostUrgent(clocks);
  if (!urgent) return <span className="muted">—</span>;
  return (
    <span title={`${targetLabel(urgent.target, urgent.step)} due ${urgent.due_at}`}>
      <Badge tone={slaTone(urgent)}>{slaWords(urgent)}</Badge>
    </span>
  );
}
