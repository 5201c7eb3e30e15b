// One Insights panel: its heading, a CSV download of its rows, and the loading / error / empty states around the
// chart or table it draws once its figures arrive.
import { type ReactNode, useId } from "react";

import { EmptyState, ErrorState, Loading } from "../../components/States";

interface Figures<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  isError: boolean;
  refetch: () => unknown;
}

export function InsightCard<T extends { items: readonly unknown[] }>({
  title,
  description,
  csv,
  figures,
  empty,
  controls,
  wide = false,
  isEmpty = (d) => !d.items.length,
  children,
}: {
  title: string;
  description?: ReactNode;
  csv: string;
  figures: Figures<T>;
  empty: string;
  controls?: ReactNode;
  wide?: boolean;
  /** Whether the figures have nothing to draw (default: no rows; a route that always answers rows says more). */
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const headingId = useId();
  const { data } = figures;
  return (
    <section className={wide ? "card insight-card insight-card--wide" : "card insight-card"} aria-labelledby={headingId}>
      <div className="insight-card-header">
        <h2 id={headingId}>{title}</h2>
        <a className="button button--small button--ghost" href={csv} download aria-label={`Download ${title} as CSV`}>
          CSV
        </a>
      </div>
      {description ? <p className="muted insight-card-description">{description}</p> : null}
      {controls}
      {figures.isPending ? <Loading label={`Loading ${title.toLowerCase()}…`} /> : null}
      {figures.isError ? <ErrorState error={figures.error} onRetry={() => void figures.refetch()} /> : null}
      {data && !figures.isError && isEmpty(data) ? <EmptyState title={empty} /> : null}
      {data && !figures.isError && !isEmpty(data) ? children(data) : null}
    </section>
  );
}

/** A chart with its accessible name; the chart library draws SVG inside, which the browser tests read. */
export function ChartFigure({ label, children }: { label: string; children: ReactNode }) {
  return (
    <figure className="insight-chart" aria-label={label}>
      {children}
    </figure>
  );
}
