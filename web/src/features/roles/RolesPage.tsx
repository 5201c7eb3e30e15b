// Admin → Roles: the built-in permission roles, then the labels in use, with how many users hold each.
import { Link } from "react-router";

import { Badge, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { ROLE_DESCRIPTIONS, useRoles } from "../../api/roles";

export function RolesPage() {
  const roles = useRoles();
  return (
    <>
      <PageHeader
        title="Roles"
        description="Built-in roles grant permissions. Any other role name is a label that approval steps can target."
      />
      {roles.isPending ? <Loading label="Loading roles…" /> : null}
      {roles.isError ? <ErrorState error={roles.error} onRetry={() => void roles.refetch()} /> : null}
      {roles.data && !roles.data.items.length ? <EmptyState title="No roles" /> : null}
      {roles.data && roles.data.items.length ? (
        <table className="table">
          <caption className="visually-hidden">Roles</caption>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Kind</th>
              <th scope="col">Permissions</th>
              <th scope="col">Users</th>
            </tr>
          </thead>
          <tbody>
            {roles.data.items.map((role) => (
              <tr key={role.name}>
                <td data-label="Role">
                  <span className="cell-title">{role.name}</span>
                  {ROLE_DESCRIPTIONS[role.name] ? <span className="muted cell-sub">{ROLE_DESCRIPTIONS[role.name]}</span> : null}
                </td>
                <td data-label="Kind">{role.built_in ? <Badge tone="info">Built-in</Badge> : <Badge>Label</Badge>}</td>
                <td data-label="Permissions">
                  {role.permissions.length ? (
                    <ul className="badges">
                      {role.permissions.map((p) => (
                        <li key={p}>
                          <code className="permission">{p}</code>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">None</span>
                  )}
                </td>
                <td data-label="Users">
                  {role.user_count ? (
                    <Link to={`/admin/users?role=${encodeURIComponent(role.name)}`} aria-label={`${role.user_count} users with role ${role.name}`}>
                      {role.user_count}
                    </Link>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
