import { messageOf, problemOf, type PagedList } from './api.js';

interface ViewFrameProps {
  /** The id of the view's `h2`, which names its section. */
  readonly headingId: string;
  readonly title: string;
  /** Why the credential may not see this view (`refusalOf` in api.ts); when set it is shown instead of `children`. */
  readonly refusal: string | undefined;
  readonly children: React.ReactNode;
}

/** A view of the console: its heading, then either its content or, alone, why the credential may not see it. */
export function ViewFrame({ headingId, title, refusal, children }: ViewFrameProps): React.JSX.Element {
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {refusal !== undefined ? (
        <p role="alert" className="refused">
          {refusal}
        </p>
      ) : (
        children
      )}
    </section>
  );
}

interface ErrorAlertProps {
  /** What failed: an error (shown by {@link messageOf}) or a message to show as it is; nothing is shown when undefined. */
  readonly error: unknown;
  /**
   * Words a refusal of the credential as {@link problemOf} does. For a panel inside a view that the same refusal does
   * not replace as a whole; a view that is replaced shows only other failures here.
   */
  readonly explainRefusal?: boolean;
}

/** A failure announced to assistive technology (`role="alert"`), or nothing while there is none. */
export function ErrorAlert({ error, explainRefusal = false }: ErrorAlertProps): React.JSX.Element | null {
  if (error === undefined) return null;
  return (
    <p role="alert" className="error">
      {explainRefusal ? problemOf(error) : messageOf(error)}
    </p>
  );
}

/** Properties of {@link Table}. */
export interface TableProps {
  /** The id of the heading that names the table's scrolling region; or give `label`. */
  readonly labelledBy?: string;
  /** The region's accessible name where no heading names it. */
  readonly label?: string;
  readonly className?: string;
  readonly testId?: string;
  /** The table's caption: read by screen readers only, unless `captionShown`. */
  readonly caption?: React.ReactNode;
  readonly captionShown?: boolean;
  /** The column headers, in order; each names its column and must be unique in the table. */
  readonly columns: readonly string[];
  /** One row across every column after the rows, e.g. "This folder is empty."; give it only while the list is empty. */
  readonly empty?: React.ReactNode;
  /** The body rows (`tr`). */
  readonly children: React.ReactNode;
}

/**
 * A data table inside a keyboard-scrollable region (`.table-wrap`), so a wide table scrolls on its own instead of
 * widening the page on a phone.
 */
export function Table({ labelledBy, label, className, testId, caption, captionShown = false, columns, empty, children }: TableProps): React.JSX.Element {
  return (
    <div className="table-wrap" role="region" aria-labelledby={labelledBy} aria-label={label} tabIndex={0}>
      <table className={className} data-testid={testId}>
        {caption !== undefined && <caption className={captionShown ? undefined : 'sr-only'}>{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {children}
          {empty !== undefined && (
            <tr>
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Properties of {@link PagedTable}. */
export interface PagedTableProps extends Omit<TableProps, 'empty'> {
  /** The list whose loaded items the rows show. */
  readonly list: PagedList<unknown>;
  /** The row shown once the list turned out to be empty. */
  readonly empty: React.ReactNode;
  /** The label of the button that loads the next page, e.g. "More assets". */
  readonly moreLabel: string;
}

/** A {@link Table} of a list read page by page, with the button that loads the next page while there is one. */
export function PagedTable({ list, empty, moreLabel, ...table }: PagedTableProps): React.JSX.Element {
  return (
    <>
      <Table {...table} empty={list.empty ? empty : undefined} />
      <MoreButton list={list} label={moreLabel} />
    </>
  );
}

/** The button that appends the next page of `list`; nothing on the last page. */
export function MoreButton({ list, label }: { readonly list: PagedList<unknown>; readonly label: string }): React.JSX.Element | null {
  if (!list.hasMore) return null;
  return (
    <button type="button" onClick={list.more}>
      {label}
    </button>
  );
}
