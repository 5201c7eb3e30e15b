// The "directory" badge of users and groups an identity provider keeps through SCIM.
import { Badge } from "./Page";
import { type DirectoryManaged, DIRECTORY_HINT, isDirectoryManaged } from "./directory";

export function DirectoryBadge({ row }: { row: DirectoryManaged }) {
  if (!isDirectoryManaged(row)) return null;
  return (
    <span title={DIRECTORY_HINT}>
      <Badge tone="info">directory</Badge>
    </span>
  );
}
