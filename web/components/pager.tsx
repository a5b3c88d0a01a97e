/** Previous / next links for a server-paged table; `param` names the query parameter holding the offset. */
import Link from 'next/link';
import { Count } from '@/components/count';

export function Pager({
  param,
  offset,
  limit,
  total,
  query,
}: {
  param: string;
  offset: number;
  limit: number;
  total: number;
  query: Record<string, string>;
}) {
  if (total <= limit) return null;
  const href = (o: number) => `?${new URLSearchParams({ ...query, [param]: String(o) }).toString()}`;
  return (
    <nav className="pager" aria-label="pages">
      {offset > 0 ? <Link href={href(Math.max(0, offset - limit))}>← Previous</Link> : <span className="muted">← Previous</span>}
      <span className="muted" data-testid="pager-range">
        <Count value={offset + 1} />–<Count value={Math.min(offset + limit, total)} /> of <Count value={total} />
      </span>
      {offset + limit < total ? <Link href={href(offset + limit)}>Next →</Link> : <span className="muted">Next →</span>}
    </nav>
  );
}
