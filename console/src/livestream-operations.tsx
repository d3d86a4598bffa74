import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, formatDateTime, gql, problemOf } from './api.js';

/** The operation fields every Live Stream mutation and read of the console selects ({@link OperationState}). */
export const OPERATION_FIELDS = `fragment ConsoleOperation on Operation {
  name done
  error { code providerStatus message }
  metadata { createTime endTime target verb }
  resource { __typename ... on Asset { assetState: state } ... on DvrSession { sessionState: state } }
}`;

const OPERATION_QUERY = `query ConsoleOperation($name: String!) { operation(name: $name) { ...ConsoleOperation } }
${OPERATION_FIELDS}`;

/** A Live Stream long-running operation as the console selects it ({@link OPERATION_FIELDS}). */
export interface OperationState {
  readonly name: string;
  readonly done: boolean;
  readonly error: { readonly code: string; readonly providerStatus: string; readonly message: string } | null;
  readonly metadata: { readonly createTime: string | null; readonly endTime: string | null; readonly target: string | null; readonly verb: string | null } | null;
  readonly resource: { readonly __typename: 'Asset'; readonly assetState: string } | { readonly __typename: 'DvrSession'; readonly sessionState: string } | null;
}

/** The Live Stream mutations the console runs; each takes `input: <Name>Input!` and answers the operation it started. */
export type OperationMutation = 'createAsset' | 'deleteAsset' | 'createDvrSession' | 'updateDvrSession' | 'deleteDvrSession';

/** The document of `field`, named `Console<Name>`, selecting {@link OPERATION_FIELDS} of the operation it starts. */
function mutationOf(field: OperationMutation): string {
  const name = `${field.charAt(0).toUpperCase()}${field.slice(1)}`;
  return `mutation Console${name}($input: ${name}Input!) { ${field}(input: $input) { ...ConsoleOperation } }
${OPERATION_FIELDS}`;
}

/** What a section listing resources that Live Stream operations change receives from the view. */
export interface OperationListProps {
  /** Changes whenever an operation finished: the list is read again. */
  readonly changes: number;
  /** Receives the name of every operation the section started. */
  readonly onOperation: (name: string) => void;
}

/** What {@link useOperationStarter} gives a section. */
export interface OperationStarter {
  /** Why the last start failed, worded by {@link problemOf}; undefined after a start that succeeded. */
  readonly error: string | undefined;
  /**
   * Runs `field` with `input`; resolves true when the API started the operation, false when it refused or failed
   * (`error` says why). Never rejects.
   */
  readonly start: (field: OperationMutation, input: Readonly<Record<string, unknown>>) => Promise<boolean>;
}

/**
 * Starts Live Stream operations for a section that lists the resources they change. Each started operation goes to
 * `onOperation`; the list is read again with `reload` after each start and whenever `changes` grows (another
 * operation finished).
 */
export function useOperationStarter({ changes, onOperation }: OperationListProps, reload: () => void): OperationStarter {
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (changes > 0) reload();
  }, [changes, reload]);
  const start = useCallback(
    async (field: OperationMutation, input: Readonly<Record<string, unknown>>): Promise<boolean> => {
      try {
        const answer = await gql<Record<typeof field, OperationState>>(mutationOf(field), { input });
        onOperation(answer[field].name);
        setError(undefined);
        reload();
        return true;
      } catch (caught) {
        setError(problemOf(caught));
        return false;
      }
    },
    [onOperation, reload],
  );
  return { error, start };
}

/** The id rule of Live Stream assets and DVR sessions, as an HTML `pattern`. */
export const RESOURCE_ID_PATTERN = '[a-z0-9]([a-z0-9\\-]{0,61}[a-z0-9])?';

/** First and longest pause between two reads of a running operation. */
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 5_000;
/** Codes after which reading the operation again cannot help. */
const FINAL_CODES: ReadonlySet<string> = new Set(['FORBIDDEN', 'UNAUTHENTICATED', 'NOT_FOUND', 'BAD_USER_INPUT']);

interface ConfirmDeleteProps {
  /** What is deleted, for the buttons' accessible names, e.g. `asset intro-bumper`. */
  readonly what: string;
  readonly confirming: boolean;
  readonly onAsk: () => void;
  readonly onCancel: () => void;
  readonly onConfirm: () => void;
}

/** A Delete button that asks once more; the question takes the keyboard focus, which would go with the button. */
export function ConfirmDelete({ what, confirming, onAsk, onCancel, onConfirm }: ConfirmDeleteProps): React.JSX.Element {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirm.current?.focus();
  }, [confirming]);
  if (!confirming) {
    return (
      <button type="button" className="danger" aria-label={`Delete ${what}`} onClick={onAsk}>
        Delete
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Delete ${what}?`}>
      <button ref={confirm} type="button" className="danger" aria-label={`Confirm delete of ${what}`} onClick={onConfirm}>
        Confirm delete
      </button>
      <button type="button" aria-label={`Keep ${what}`} onClick={onCancel}>
        Keep it
      </button>
    </span>
  );
}

interface OperationsSectionProps {
  /** Names of the operations to show, newest first. */
  readonly names: readonly string[];
  /** Receives the name of an operation the user asked to follow. */
  readonly onFollow: (name: string) => void;
  /** Called once for each operation seen done (successfully or not). */
  readonly onDone: () => void;
  readonly onForget: (name: string) => void;
}

/**
 * The Live Stream operations of this tab, each with its progress until it is done, and a form to follow one by name.
 * The API has no list of operations, so these are the ones started (or followed) here.
 */
export function OperationsSection({ names, onFollow, onDone, onForget }: OperationsSectionProps): React.JSX.Element {
  const [name, setName] = useState('');
  return (
    <section aria-labelledby="operations-heading">
      <h3 id="operations-heading">Operations</h3>
      <p className="muted">Operations started or followed in this tab, each read until it is done.</p>
      {names.length === 0 ? (
        <p>No operations yet.</p>
      ) : (
        <ul className="operations" aria-live="polite">
          {names.map((operation) => (
            <OperationItem key={operation} name={operation} onDone={onDone} onForget={onForget} />
          ))}
        </ul>
      )}
      <form
        className="form"
        aria-labelledby="follow-heading"
        onSubmit={(event) => {
          event.preventDefault();
          onFollow(name.trim());
          setName('');
        }}
      >
        <h4 id="follow-heading">Follow an operation</h4>
        <label>
          Operation name
          <input className="wide" value={name} onChange={(event) => setName(event.target.value)} required pattern="\s*projects\/[^\/]+\/locations\/[^\/]+\/operations\/[^\/]+\s*" placeholder="projects/…/locations/…/operations/…" />
        </label>
        <button type="submit">Follow</button>
      </form>
    </section>
  );
}

interface OperationItemProps {
  readonly name: string;
  readonly onDone: () => void;
  readonly onForget: (name: string) => void;
}

/** One operation, read with a growing pause (0.5 s up to 5 s) until it is done or can no longer be read. */
function OperationItem({ name, onDone, onForget }: OperationItemProps): React.JSX.Element {
  const [operation, setOperation] = useState<OperationState | undefined>();
  const [problem, setProblem] = useState<{ readonly message: string; readonly final: boolean } | undefined>();
  // The latest callback, without restarting the reads when the parent renders.
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let pause = FIRST_POLL_MS;
    const poll = async (): Promise<void> => {
      try {
        const answer = await gql<{ operation: OperationState | null }>(OPERATION_QUERY, { name });
        if (stopped) return;
        if (answer.operation === null) {
          setProblem({ message: 'This operation does not exist (any more).', final: true });
          return;
        }
        setOperation(answer.operation);
        setProblem(undefined);
        if (answer.operation.done) {
          done.current();
          return;
        }
      } catch (caught) {
        if (stopped) return;
        const final = caught instanceof ApiError && caught.code !== undefined && FINAL_CODES.has(caught.code);
        setProblem({ message: problemOf(caught), final });
        if (final) return;
      }
      timer = window.setTimeout(() => void poll(), pause);
      pause = Math.min(pause * 1.5, MAX_POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [name]);

  const state = operation === undefined ? 'unknown' : !operation.done ? 'running' : operation.error === null ? 'done' : 'failed';
  const finished = state === 'done' || state === 'failed' || problem?.final === true;
  const metadata = operation?.metadata ?? null;
  const title = metadata === null ? (name.split('/').at(-1) ?? name) : titleOf(metadata.verb, metadata.target);
  return (
    <li data-operation={name} data-state={state}>
      <span className="op-title">{title}</span>
      {finished ? <progress max={1} value={state === 'done' ? 1 : 0} aria-label={`Progress of ${title}`} /> : <progress aria-label={`Progress of ${title}`} />}
      <span>{statusOf(operation)}</span>
      {problem !== undefined && <span className="error">{problem.message}</span>}
      {finished && (
        <button type="button" aria-label={`Forget ${title}`} onClick={() => onForget(name)}>
          Forget
        </button>
      )}
    </li>
  );
}

function titleOf(verb: string | null, target: string | null): string {
  if (target === null) return verb ?? 'operation';
  const parts = target.split('/');
  const collection = parts.at(-2);
  const kind = collection === 'assets' ? 'asset' : collection === 'dvrSessions' ? 'DVR session' : (collection ?? '');
  return `${verb ?? 'change'} ${kind} ${parts.at(-1) ?? target}`;
}

function statusOf(operation: OperationState | undefined): string {
  if (operation === undefined) return 'reading…';
  const { resource } = operation;
  const now = resource === null ? '' : resource.__typename === 'Asset' ? `, asset ${resource.assetState}` : `, session ${resource.sessionState}`;
  const started = operation.metadata?.createTime ?? null;
  if (!operation.done) return `running since ${formatDateTime(started)}${now}`;
  const ended = operation.metadata?.endTime ?? null;
  const took = started === null || ended === null ? '' : ` in ${((Date.parse(ended) - Date.parse(started)) / 1000).toFixed(1)} s`;
  if (operation.error !== null) return `failed${took}: ${operation.error.code} (${operation.error.providerStatus}) ${operation.error.message}`;
  return `done${took}${now}`;
}
