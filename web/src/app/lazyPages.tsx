// The canvas pages load React Flow and Insights loads Recharts, so each arrives in its own chunk, fetched when first opened.
import { lazy, Suspense } from "react";

import { Loading } from "../components/States";

const Builder = lazy(() => import("../features/workflows/WorkflowBuilderPage").then((m) => ({ default: m.WorkflowBuilderPage })));
const Insights = lazy(() => import("../features/insights/InsightsPage").then((m) => ({ default: m.InsightsPage })));
const Execution = lazy(() => import("../features/executions/ExecutionPage").then((m) => ({ default: m.ExecutionPage })));

export function WorkflowBuilderPage() {
  return (
    <Suspense fallback={<Loading label="Loading the workflow builder…" />}>
      <Builder />
    </Suspense>
  );
}

export function ExecutionPage() {
  return (
    <Suspense fallback={<Loading label="Loading the execution…" />}>
      <Execution />
    </Suspense>
  );
}

export function InsightsPage() {
  return (
    <Suspense fallback={<Loading label="Loading insights…" />}>
      <Insights />
    </Suspense>
  );
}
