import { useCallback, useState } from "react";

/** Cursor paging forwards through a connection, with the cursors of earlier pages kept for Previous. */
export function usePager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1],
    page: cursors.length,
    next: useCallback((endCursor: string | null | undefined) => endCursor && setCursors((c) => [...c, endCursor]), []),
    previous: useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []),
    reset: useCallback(() => setCursors([null]), []),
  };
}

export function Pager({
  pager,
  pageInfo,
  label,
}: {
  pager: ReturnType<typeof usePager>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  label: string;
}) {
  if (pager.page === 1 && !pageInfo?.hasNextPage) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" onClick={() => pager.next(pageInfo?.endCursor)} disabled={!pageInfo?.hasNextPage}>
        Next
      </button>
    </nav>
  );
}
