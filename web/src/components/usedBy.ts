// What an archive refusal (409 `used_by`) lists, in the admin's words, each with the page where it can be changed.
import type { UsedBy } from "../api/problem";

const KINDS: Record<string, string> = {
  catalog_item: "Catalog item",
  workflow: "Automation workflow",
  runbook: "Runbook",
  tenant_setting: "Tenant setting",
};

/** "Catalog item", "Automation workflow", …; an unknown type reads as itself. */
export function usedByKind(use: UsedBy): string {
  return KINDS[use.type] ?? use.type.replace(/_/g, " ");
}

/** The page that edits the user, or null when the UI has none. */
export function usedByHref(use: UsedBy): string | null {
  const id = encodeURIComponent(use.id);
  switch (use.type) {
    case "catalog_item":
      return `/itsm/catalog/${id}`;
    case "workflow":
      return `/workflows/${id}`;
    case "runbook":
      return `/runbooks/${id}`;
    case "tenant_setting":
      return "/admin/tenant";
    default:
      return null;
  }
}
