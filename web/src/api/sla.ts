// Service levels: the tenant's SLA policies (for the catalog item editor's picker).
import { useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type SlaPolicy = Schemas["PolicyRead"];

export const slaKeys = { policies: ["sla", "policies"] as const };

/** The tenant's SLA policies, up to one full page (a tenant has a handful). */
export function useSlaPolicies() {
  return useQuery({
    queryKey: slaKeys.policies,
    queryFn: ({ signal }) => unwrap(api.GET("/api/sla/policies", { params: { query: { limit: 200 } }, signal })),
  });
}
