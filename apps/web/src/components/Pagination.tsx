import type { Page } from '@keyward/shared';

interface PaginationProps {
  data: Page<unknown>;
  /** Names the navigation for screen readers, e.g. "API key pages". */
  label: string;
  /** What the summary says when there is nothing, e.g. "No keys". */
  emptyText: string;
  busy: boolean;
  onPage: (page: number) => void;
}

/** "1–20 of 53" with Previous / Next, under every paged table. */
export function Pagination({ data, label, emptyText, busy, onPage }: PaginationProps) {
  const lastPage = Math.max(1, Math.ceil(data.total / data.pageSize));
  const first = data.total > 0 ? (data.page - 1) * data.pageSize + 1 : 0;
  const last = data.items.length > 0 ? first + data.items.length - 1 : first;
  return (
    <nav className="pagination" aria-label={label}>
      <p className="pagination__summary">
        {data.total === 0 ? emptyText : `${first}–${last} of ${data.total}`}
      </p>
      <div className="pagination__buttons">
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={data.page <= 1 || busy}
          onClick={() => {
            onPage(data.page - 1);
          }}
        >
          Previous
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={data.page >= lastPage || busy}
          onClick={() => {
            onPage(data.page + 1);
          }}
        >
          Next
        </button>
      </div>
    </nav>
  );
}
