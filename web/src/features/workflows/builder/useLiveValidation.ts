// Live validation of the draft: the body as it stood half a second ago is checked by the API, and the problems it
// reports are mapped onto the canvas's nodes and edges.
import { useMemo } from "react";

import { ApiError } from "../../../api/problem";
import { useDebouncedValue } from "../../../components/hooks";
import { useValidation, type WorkflowWrite } from "../api";
import type { FlowEdge, StepNode } from "../graph/flow";
import { mapProblems } from "../graph/problems";

/** `bodyText` is null while the draft cannot be sent (its inputs schema is not JSON). */
export function useLiveValidation(bodyText: string | null, nodes: readonly StepNode[], edges: readonly FlowEdge[]) {
  const settled = useDebouncedValue(bodyText, 500);
  // A placeholder name keeps an unnamed draft checkable.
  const validationBody = useMemo(() => {
    if (!settled) return null;
    const parsed = JSON.parse(settled) as WorkflowWrite;
    return { ...parsed, name: parsed.name || "untitled" };
  }, [settled]);
  const validation = useValidation(validationBody);
  // A body the request-shape checks refuse (422) names its fields the same way the workflow checks do.
  const reported = validation.data?.errors ?? (validation.error instanceof ApiError ? validation.error.problem.errors : undefined) ?? [];
  return {
    problems: mapProblems(reported, nodes, edges),
    count: reported.length,
    checking: settled !== bodyText || validation.isFetching,
    failed: validation.isError,
  };
}

export type LiveValidation = ReturnType<typeof useLiveValidation>;
