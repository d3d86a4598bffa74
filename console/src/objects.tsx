import { useCallback, useEffect, useRef, useState } from 'react';
import { authHeaders, gql, loadCredential, messageOf } from './api.js';
import { ErrorAlert, Table } from './ui.js';

const LIST_QUERY = `query ConsoleObjects($path: String!, $after: String) {
  objects(path: $path, first: 25, after: $after) {
    edges { node { __typename name path type ... on MediaObject { contentLength lastModified } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const OBJECT_QUERY = `query ConsoleObject($path: String!) {
  object(path: $path) { name path contentType contentLength lastModified eTag cacheControl url }
}`;

const CREATE_UPLOAD = `mutation ConsoleCreateObjectUpload($input: CreateObjectUploadInput!) {
  createObjectUpload(input: $input) { url method headers { name value } maxBytes }
}`;

const DELETE_OBJECT = `mutation ConsoleDeleteObject($input: DeleteObjectInput!) {
  deleteObject(input: $input) { path }
}`;

interface Entry {
  readonly __typename: 'MediaObject' | 'ObjectFolder';
  readonly name: string;
  readonly path: string;
  readonly contentLength?: number | null;
  readonly lastModified?: string | null;
}

interface ListPage {
  readonly objects: { readonly edges: readonly { readonly node: Entry }[]; readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null } };
}

interface ObjectDetails {
  readonly name: string;
  readonly path: string;
  readonly contentType: string | null;
  readonly contentLength: number | null;
  readonly lastModified: string | null;
  readonly eTag: string | null;
  readonly cacheControl: string | null;
  readonly url: string;
}

interface Upload {
  readonly id: number;
  readonly name: string;
  readonly loaded: number;
  readonly total: number;
  readonly state: 'uploading' | 'done' | 'cancelled' | 'failed';
  readonly message?: string;
}

/** The Objects view: folder navigation with cursor paging, details, download, drag-and-drop upload and delete. */
export function ObjectsView(): React.JSX.Element {
  const [folder, setFolder] = useState('/');
  // Cursors of the pages before the current one, so "Previous page" needs no backwards paging from the API.
  const [pages, setPages] = useState<readonly (string | null)[]>([null]);
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [details, setDetails] = useState<ObjectDetails | undefined>();
  const [uploads, setUploads] = useState<readonly Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const requests = useRef(new Map<number, XMLHttpRequest>());
  const nextId = useRef(1);
  const after = pages.at(-1) ?? null;

  const refresh = useCallback(async () => {
    try {
      const page = await gql<ListPage>(LIST_QUERY, { path: folder, after });
      setEntries(page.objects.edges.map((edge) => edge.node));
      setNext(page.objects.pageInfo.hasNextPage ? page.objects.pageInfo.endCursor : null);
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, [folder, after]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const open = (path: string): void => {
    setFolder(path);
    setPages([null]);
    setDetails(undefined);
  };

  const show = async (path: string): Promise<void> => {
    setConfirming(false);
    try {
      const found = await gql<{ object: ObjectDetails | null }>(OBJECT_QUERY, { path });
      setDetails(found.object ?? undefined);
      if (found.object === null) setError(`${path} no longer exists`);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };

  const remove = async (path: string): Promise<void> => {
    try {
      await gql(DELETE_OBJECT, { input: { path } });
      setDetails(undefined);
      setConfirming(false);
      await refresh();
    } catch (caught) {
      setError(messageOf(caught));
    }
  };

  const update = (id: number, change: Partial<Upload>): void => setUploads((previous) => previous.map((upload) => (upload.id === id ? { ...upload, ...change } : upload)));

  const upload = async (file: File): Promise<void> => {
    const id = nextId.current++;
    setUploads((previous) => [...previous, { id, name: file.name, loaded: 0, total: file.size, state: 'uploading' }]);
    const prefix = folder === '/' ? '' : folder.replace(/^\/+/, '').replace(/\/?$/, '/');
    try {
      const { createObjectUpload: target } = await gql<{ createObjectUpload: { url: string; method: string; headers: readonly { name: string; value: string }[]; maxBytes: number } }>(CREATE_UPLOAD, {
        input: { path: `${prefix}${file.name}`, contentType: file.type === '' ? 'application/octet-stream' : file.type },
      });
      if (file.size > target.maxBytes) throw new Error(`larger than the ${String(target.maxBytes)} bytes an upload accepts`);
      // XMLHttpRequest, because fetch reports no upload progress.
      const xhr = new XMLHttpRequest();
      requests.current.set(id, xhr);
      xhr.open(target.method, target.url);
      for (const header of target.headers) xhr.setRequestHeader(header.name, header.value);
      for (const [name, value] of Object.entries(authHeaders(loadCredential()))) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => update(id, { loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
      xhr.onload = () => {
        requests.current.delete(id);
        if (xhr.status >= 200 && xhr.status < 300) {
          update(id, { state: 'done', loaded: file.size });
          void refresh();
        } else {
          update(id, { state: 'failed', message: `HTTP ${String(xhr.status)}` });
        }
      };
      xhr.onerror = () => {
        requests.current.delete(id);
        update(id, { state: 'failed', message: 'network error' });
      };
      xhr.onabort = () => {
        requests.current.delete(id);
        update(id, { state: 'cancelled' });
      };
      xhr.send(file);
    } catch (caught) {
      update(id, { state: 'failed', message: messageOf(caught) });
    }
  };

  const uploadAll = (files: FileList | null): void => {
    for (const file of Array.from(files ?? [])) void upload(file);
  };

  const segments = folder.replace(/^\/+|\/+$/g, '').split('/').filter((segment) => segment !== '');
  return (
    <section aria-labelledby="objects-heading">
      <h2 id="objects-heading">Objects</h2>
      <ErrorAlert error={error} />
      <nav aria-label="Folder">
        <ol className="crumbs">
          <li>
            <button type="button" className="link" onClick={() => open('/')}>
              root
            </button>
          </li>
          {segments.map((segment, index) => (
            <li key={segments.slice(0, index + 1).join('/')}>
              <button type="button" className="link" onClick={() => open(`${segments.slice(0, index + 1).join('/')}/`)}>
                {segment}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <Table
        label="Folder contents"
        className="objects"
        caption={`Contents of ${folder}`}
        columns={['Name', 'Kind', 'Size (bytes)', 'Last modified']}
        empty={entries.length === 0 ? 'This folder is empty.' : undefined}
      >
        {entries.map((entry) => (
          <tr key={entry.path}>
            <td>
              <button type="button" className="link" onClick={() => (entry.__typename === 'ObjectFolder' ? open(entry.path) : void show(entry.path))}>
                {entry.__typename === 'ObjectFolder' ? `${entry.name}/` : entry.name}
              </button>
            </td>
            <td>{entry.__typename === 'ObjectFolder' ? 'folder' : 'object'}</td>
            <td>{entry.contentLength ?? ''}</td>
            <td>{entry.lastModified === null || entry.lastModified === undefined ? '' : new Date(entry.lastModified).toLocaleString()}</td>
          </tr>
        ))}
      </Table>
      <div className="toolbar">
        <button type="button" disabled={pages.length <= 1} onClick={() => setPages((previous) => previous.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={next === null} onClick={() => setPages((previous) => [...previous, next])}>
          Next page
        </button>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {details !== undefined && (
        <section className="details" aria-labelledby="details-heading">
          <h3 id="details-heading">{details.path}</h3>
          <dl>
            <dt>Content type</dt>
            <dd>{details.contentType ?? '—'}</dd>
            <dt>Size</dt>
            <dd>{details.contentLength === null ? '—' : `${String(details.contentLength)} bytes`}</dd>
            <dt>Last modified</dt>
            <dd>{details.lastModified === null ? '—' : new Date(details.lastModified).toLocaleString()}</dd>
            <dt>ETag</dt>
            <dd className="mono">{details.eTag ?? '—'}</dd>
            <dt>Cache-Control</dt>
            <dd>{details.cacheControl ?? '—'}</dd>
          </dl>
          <div className="toolbar">
            <a href={details.url} download={details.name}>
              Download {details.name}
            </a>
            {confirming ? (
              <>
                <span role="status">Delete {details.path} for good?</span>
                <button type="button" className="danger" onClick={() => void remove(details.path)}>
                  Confirm delete
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            )}
          </div>
        </section>
      )}
      <div
        className={dragging ? 'dropzone over' : 'dropzone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          uploadAll(event.dataTransfer.files);
        }}
      >
        <p>Drop files here to upload them into {folder === '/' ? 'the root folder' : folder}, or</p>
        <label>
          choose files
          <input type="file" multiple onChange={(event) => uploadAll(event.target.files)} />
        </label>
      </div>
      {uploads.length > 0 && (
        <ul className="uploads" aria-label="Uploads">
          {uploads.map((item) => (
            <li key={item.id} data-upload={item.name} data-state={item.state}>
              <span>{item.name}</span>
              <progress max={item.total || 1} value={item.loaded} aria-label={`Upload of ${item.name}`} />
              <span>{item.total === 0 ? 100 : Math.floor((item.loaded / item.total) * 100)}%</span>
              <span>{item.state === 'uploading' ? '' : item.message === undefined ? item.state : `${item.state}: ${item.message}`}</span>
              {item.state === 'uploading' && (
                <button type="button" onClick={() => requests.current.get(item.id)?.abort()} aria-label={`Cancel upload of ${item.name}`}>
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
