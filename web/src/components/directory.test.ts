import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import { DirectoryBadge } from "./Directory";
import { isDirectoryManaged, userFieldEditable } from "./directory";

describe("directory-managed rows", () => {
  it("are the ones with managed_by", () => {
    expect(isDirectoryManaged({ managed_by: "scim" })).toBe(true);
    expect(isDirectoryManaged({ managed_by: null })).toBe(false);
    expect(isDirectoryManaged({})).toBe(false);
  });

  it("keep only roles and delegation editable", () => {
    expect(userFieldEditable({ managed_by: "scim" }, "roles")).toBe(true);
    expect(userFieldEditable({ managed_by: "scim" }, "display_name")).toBe(false);
    expect(userFieldEditable({ managed_by: "scim" }, "is_active")).toBe(false);
    expect(userFieldEditable({ managed_by: null }, "display_name")).toBe(true);
  });

  it("show a directory badge, and nothing for hand-kept rows", () => {
    expect(renderToStaticMarkup(createElement(DirectoryBadge, { row: { managed_by: "scim" } }))).toContain(">directory<");
    expect(renderToStaticMarkup(createElement(DirectoryBadge, { row: { managed_by: null } }))).toBe("");
  });
});
