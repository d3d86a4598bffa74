import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, gql, loadCredential, messageOf, storeCredential, type Credential } from './api.js';
import { FleetView } from './fleet.js';
import { LiveStreamView } from './livestream.js';
import { ObjectsView } from './objects.js';
import { OciView } from './oci.js';
import { StreamsView } from './streams.js';
import { ErrorAlert } from './ui.js';

interface View {
  readonly id: string;
  readonly title: string;
  readonly render: () => React.JSX.Element;
}

/** The console's views in navigation order; `#<id>` opens one. A new view is one entry here. */
const VIEWS: readonly View[] = [
  { id: 'streams', title: 'Streams', render: () => <StreamsView /> },
  { id: 'objects', title: 'Objects', render: () => <ObjectsView /> },
  { id: 'livestream', title: 'Live Stream', render: () => <LiveStreamView /> },
  { id: 'oci', title: 'OCI Media', render: () => <OciView /> },
  { id: 'fleet', title: 'Fleet', render: () => <FleetView /> },
];

type Gate = { readonly state: 'checking' } | { readonly state: 'open' } | { readonly state: 'locked'; readonly problem: string | undefined };

function viewFromHash(): string {
  const id = window.location.hash.replace(/^#/, '');
  return VIEWS.some((view) => view.id === id) ? id : (VIEWS[0]?.id ?? '');
}

function App(): React.JSX.Element {
  const [gate, setGate] = useState<Gate>({ state: 'checking' });
  const [viewId, setViewId] = useState(viewFromHash);

  // One cheap query decides whether the API takes this tab as it is (anonymous in development) or wants a credential.
  const check = useCallback(async () => {
    try {
      await gql<{ __typename: string }>('query ConsoleProbe { __typename }');
      setGate({ state: 'open' });
    } catch (error) {
      const refused = error instanceof ApiError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN');
      setGate({ state: 'locked', problem: refused && loadCredential() === undefined ? undefined : messageOf(error) });
    }
  }, []);

  useEffect(() => {
    void check();
    const onHash = (): void => setViewId(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [check]);

  const view = VIEWS.find((candidate) => candidate.id === viewId) ?? VIEWS[0];
  return (
    <>
      <header className="top">
        <h1>media-graph console</h1>
        {gate.state === 'open' && (
          <nav aria-label="Views">
            <ul>
              {VIEWS.map((candidate) => (
                <li key={candidate.id}>
                  <a href={`#${candidate.id}`} aria-current={candidate.id === view?.id ? 'page' : undefined}>
                    {candidate.title}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {loadCredential() !== undefined && (
          <button
            type="button"
            onClick={() => {
              storeCredential(undefined);
              void check();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main>
        {gate.state === 'checking' && <p>Connecting…</p>}
        {gate.state === 'locked' && (
          <SignIn
            problem={gate.problem}
            onSubmit={(credential) => {
              storeCredential(credential);
              void check();
            }}
          />
        )}
        {gate.state === 'open' && view?.render()}
      </main>
    </>
  );
}

interface SignInProps {
  readonly problem: string | undefined;
  readonly onSubmit: (credential: Credential) => void;
}

/** Asks for a bearer token or an API key; it is kept in this tab's sessionStorage only. */
function SignIn({ problem, onSubmit }: SignInProps): React.JSX.Element {
  const [kind, setKind] = useState<Credential['kind']>('bearer');
  const [value, setValue] = useState('');
  return (
    <form
      className="sign-in"
      aria-labelledby="sign-in-heading"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim() !== '') onSubmit({ kind, value: value.trim() });
      }}
    >
      <h2 id="sign-in-heading">Sign in</h2>
      <p>This gateway needs a credential. It stays in this browser tab only (sessionStorage) and goes with every call.</p>
      <ErrorAlert error={problem} />
      <label>
        Credential type
        <select value={kind} onChange={(event) => setKind(event.target.value === 'apiKey' ? 'apiKey' : 'bearer')}>
          <option value="bearer">Bearer token (JWT)</option>
          <option value="apiKey">API key</option>
        </select>
      </label>
      <label>
        Token or key
        <input type="password" autoComplete="off" value={value} onChange={(event) => setValue(event.target.value)} required />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
