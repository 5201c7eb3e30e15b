// Types of component-sizes.mjs, for the architecture test (src/architecture.test.ts) that imports it.
export interface ComponentSize {
  /** The file, relative to web/ ("src/features/users/UsersPage.tsx"). */
  file: string;
  /** The component's name (a PascalCase function, declared or assigned). */
  name: string;
  lines: number;
}

/** Every React component under `root` (default web/src), longest first. */
export function componentSizes(root?: string): ComponentSize[];
