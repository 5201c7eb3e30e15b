// Roles: the built-in permission roles, then the free role labels in use in the tenant.
import { useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type Role = Schemas["RoleRead"];

export function useRoles(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ["roles"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/roles", { signal })),
    staleTime: 60_000,
    enabled: options.enabled ?? true,
  });
}

/** What each built-in role is for, in the product's words (PRODUCT.md §2). */
export const ROLE_DESCRIPTIONS: Record<string, string> = {
  admin: "Manages everything in this tenant",
  service_owner: "Catalog items and approval definitions",
  automation_engineer: "Runbooks, automation workflows and secrets",
  fulfiller: "Works manual fulfillment",
  requester: "Submits requests (everyone)",
};
