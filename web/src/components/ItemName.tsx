// A catalog item's name from its id (cached), for lists of requests that only carry the id.
import { useCatalogItem } from "../api/itsm";

export function ItemName({ id }: { id: string }) {
  const item = useCatalogItem(id);
  if (item.isPending) return <span className="muted">…</span>;
  if (item.isError) return <span className="muted">Unknown item</span>;
  return <>{item.data.name}</>;
}
