import { API_KEY_STATUSES, type ApiKeyResponse, type ApiKeyStatus } from '@keyward/shared';
import { useEffect, useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { EditKeyDialog } from './EditKeyDialog';
import { GenerateKeyDialog } from './GenerateKeyDialog';
import { useApiKeys, useRevokeApiKey, useScopeCatalogue } from './hooks';
import type { KeyAction } from './KeyRow';
import { KeysTable } from './KeysTable';
import { KeyUsageDialog } from './KeyUsageDialog';
import { RegenerateKeyDialog } from './RegenerateKeyDialog';
import { ShowKeyOnceDialog, type RevealedKey } from './ShowKeyOnceDialog';
import './keys.css';

const PAGE_SIZE = 20;

type OpenDialog =
  | { kind: 'generate' }
  | { kind: KeyAction; key: ApiKeyResponse }
  | { kind: 'reveal'; revealed: RevealedKey }
  | null;

function isStatus(value: string): value is ApiKeyStatus {
  return (API_KEY_STATUSES as readonly string[]).includes(value);
}

export function KeysHome(): ReactElement {
  const [search, setSearch] = useState('');
  const [name, setName] = useState('');
  const [status, setStatus] = useState<ApiKeyStatus | ''>('');
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const keys = useApiKeys({
    page,
    pageSize: PAGE_SIZE,
    name: name || undefined,
    status: status || undefined,
  });
  const revoke = useRevokeApiKey();
  // Load the catalogue with the page, so the generate dialog opens with its form ready.
  useScopeCatalogue();

  // Ask the server once typing pauses, not on every keystroke.
  useEffect(() => {
    const timer = setTimeout(() => {
      setName(search.trim());
      setPage(1);
    }, 300);
    return () => {
      clearTimeout(timer);
    };
  }, [search]);

  const close = (): void => {
    setDialog(null);
  };
  const filtered = name !== '' || status !== '';
  const data = keys.data;

  const generateButton = (
    <button
      type="button"
      className="button button--primary"
      onClick={() => {
        setDialog({ kind: 'generate' });
      }}
    >
      <Icon name="plus" size={16} />
      <span>Generate key</span>
    </button>
  );

  return (
    <>
      <PageHeader
        title="API Keys"
        description="Keys your own API accepts, each with scopes, an expiry and a rate limit."
        actions={generateButton}
      />
      {revoke.isError && (
        <Alert title="Could not revoke the key">{errorMessage(revoke.error)}</Alert>
      )}
      <section className="card card--flush" aria-labelledby="keys-heading">
        <div className="toolbar">
          <h2 id="keys-heading" className="visually-hidden">
            Your API keys
          </h2>
          <div className="toolbar__search">
            <label className="visually-hidden" htmlFor="key-search">
              Search by name
            </label>
            <Icon name="search" size={16} />
            <input
              id="key-search"
              type="search"
              className="input input--search"
              placeholder="Search by name"
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
              }}
            />
          </div>
          <label className="visually-hidden" htmlFor="key-status">
            Status
          </label>
          <select
            id="key-status"
            className="select select--toolbar"
            value={status}
            onChange={(event) => {
              const value = event.target.value;
              setStatus(isStatus(value) ? value : '');
              setPage(1);
            }}
          >
            <option value="">All statuses</option>
            <option value="active">Active</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
          </select>
        </div>
        {keys.isPending && (
          <div className="card__state">
            <Spinner label="Loading keys…" />
          </div>
        )}
        {keys.isError && (
          <div className="card__state">
            <Alert title="Could not load your keys">{errorMessage(keys.error)}</Alert>
          </div>
        )}
        {data && data.total === 0 && !filtered ? (
          <div className="empty-state">
            <span className="empty-state__icon">
              <Icon name="keys" size={22} />
            </span>
            <h3 className="empty-state__title">No API keys yet</h3>
            <p className="empty-state__text">
              Generate a key for each application that calls your API. You choose what it may do,
              how long it lives and how fast it may call.
            </p>
            {generateButton}
          </div>
        ) : (
          data && (
            <KeysTable
              data={data}
              busy={keys.isFetching}
              onPage={setPage}
              onAction={(kind, key) => {
                revoke.reset();
                setDialog({ kind, key });
              }}
            />
          )
        )}
      </section>

      {dialog?.kind === 'generate' && (
        <GenerateKeyDialog
          onClose={close}
          onCreated={(created) => {
            setDialog({
              kind: 'reveal',
              revealed: { name: created.name, key: created.key, regenerated: false },
            });
          }}
        />
      )}
      {dialog?.kind === 'edit' && <EditKeyDialog apiKey={dialog.key} onClose={close} />}
      {dialog?.kind === 'usage' && <KeyUsageDialog apiKey={dialog.key} onClose={close} />}
      {dialog?.kind === 'regenerate' && (
        <RegenerateKeyDialog
          apiKey={dialog.key}
          onClose={close}
          onRegenerated={(regenerated) => {
            setDialog({
              kind: 'reveal',
              revealed: {
                name: regenerated.name,
                key: regenerated.key,
                previousKeyExpiresAt: regenerated.previousKeyExpiresAt,
                regenerated: true,
              },
            });
          }}
        />
      )}
      {dialog?.kind === 'revoke' && (
        <ConfirmDialog
          title={`Revoke ${dialog.key.name}?`}
          confirmLabel="Revoke key"
          pendingLabel="Revoking…"
          pending={false}
          error={null}
          onClose={close}
          onConfirm={() => {
            // Optimistic: the row shows "revoked" at once and comes back if the server refuses.
            revoke.mutate(dialog.key);
            close();
          }}
        >
          <p>
            Requests made with <strong>{dialog.key.maskedKey}</strong> will be refused straight
            away. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'reveal' && (
        <ShowKeyOnceDialog revealed={dialog.revealed} onClose={close} />
      )}
    </>
  );
}
