// Rows the directory keeps (SCIM): which fields stay editable by hand. The API refuses the others with 409.
export type DirectoryManaged = { managed_by?: string | null | undefined };

/** Fields of a directory-managed user an admin may still change here (app roles; delegation is the user's own). */
export const HAND_EDITABLE_USER_FIELDS = ["roles", "delegate_id", "delegate_until"] as const;

export function isDirectoryManaged(row: DirectoryManaged): boolean {
  return Boolean(row.managed_by);
}

/** Whether `field` of this user can be edited in the UI (everything unless the directory keeps the user). */
export function userFieldEditable(row: DirectoryManaged, field: string): boolean {
  return !isDirectoryManaged(row) || (HAND_EDITABLE_USER_FIELDS as readonly string[]).includes(field);
}

export const DIRECTORY_HINT = "Kept by your identity provider (SCIM): change it there.";
