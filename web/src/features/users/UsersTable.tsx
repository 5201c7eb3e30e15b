// The users table of Admin → Users: name and email, roles, status, manager, and Edit for those who manage users.
import type { User } from "../../api/users";
import { DirectoryBadge } from "../../components/Directory";
import { Badge } from "../../components/Page";
import { UserName } from "../../components/UserPicker";

export function UsersTable({
  users,
  busy,
  filtered,
  canManage,
  onEdit,
}: {
  users: readonly User[];
  busy: boolean;
  filtered: boolean;
  canManage: boolean;
  onEdit: (user: User) => void;
}) {
  return (
    <table className="table" aria-busy={busy}>
      <caption className="visually-hidden">Users{filtered ? " matching the filters" : ""}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Roles</th>
          <th scope="col">Status</th>
          <th scope="col">Manager</th>
          {canManage ? (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {users.map((user) => (
          <tr key={user.id}>
            <td data-label="Name">
              <span className="cell-title">
                {user.display_name} <DirectoryBadge row={user} />
              </span>
              <span className="muted cell-sub">{user.email}</span>
            </td>
            <td data-label="Roles">
              {user.roles.length ? (
                <ul className="badges">
                  {user.roles.map((r) => (
                    <li key={r}>
                      <Badge tone={r === "admin" ? "info" : "neutral"}>{r}</Badge>
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">None</span>
              )}
            </td>
            <td data-label="Status">{user.is_active ? <Badge tone="good">Active</Badge> : <Badge tone="bad">Inactive</Badge>}</td>
            <td data-label="Manager">
              <UserName id={user.manager_id} />
            </td>
            {canManage ? (
              <td data-label="Actions" className="cell-actions">
                <button type="button" className="button button--small" onClick={() => onEdit(user)} aria-label={`Edit ${user.display_name}`}>
                  Edit
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
