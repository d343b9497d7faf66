import type { ProviderId, ProviderKeyResponse } from '@keyward/shared';
import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { AddProviderKeyDialog } from './AddProviderKeyDialog';
import { FallbackOrder } from './FallbackOrder';
import {
  useDeleteProviderKey,
  useProviderCatalogue,
  useProviderKeys,
  useProviderStatus,
} from './hooks';
import { ProviderCard } from './ProviderCard';
import { ReplaceKeyDialog } from './ReplaceKeyDialog';
import '../keys/keys.css';
import './providers.css';

type OpenDialog =
  | { kind: 'add'; provider?: ProviderId }
  | { kind: 'replace' | 'delete'; credential: ProviderKeyResponse }
  | null;

export function ProvidersHome(): ReactElement {
  const catalogue = useProviderCatalogue();
  const statuses = useProviderStatus();
  const keys = useProviderKeys();
  const remove = useDeleteProviderKey();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const close = (): void => {
    setDialog(null);
  };

  const error = catalogue.error ?? statuses.error ?? keys.error;
  const ready = catalogue.data && statuses.data && keys.data;

  return (
    <>
      <PageHeader
        title="Providers"
        description="Your AI provider credentials, encrypted at rest and checked with each provider."
        actions={
          <button
            type="button"
            className="button button--primary"
            disabled={!catalogue.data}
            onClick={() => {
              setDialog({ kind: 'add' });
            }}
          >
            <Icon name="plus" size={16} />
            <span>Add key</span>
          </button>
        }
      />
      {!ready && !error && <Spinner label="Loading providers…" />}
      {error && <Alert title="Could not load providers">{errorMessage(error)}</Alert>}
      {catalogue.data && statuses.data && keys.data && (
        <>
          <div className="provider-grid">
            {catalogue.data.map((provider) => (
              <ProviderCard
                key={provider.id}
                provider={provider}
                status={
                  statuses.data.find((entry) => entry.provider === provider.id)?.status ??
                  'not_configured'
                }
                credentials={keys.data.filter((key) => key.provider === provider.id)}
                onAdd={() => {
                  setDialog({ kind: 'add', provider: provider.id });
                }}
                onReplace={(credential) => {
                  setDialog({ kind: 'replace', credential });
                }}
                onDelete={(credential) => {
                  remove.reset();
                  setDialog({ kind: 'delete', credential });
                }}
              />
            ))}
          </div>
          <FallbackOrder catalogue={catalogue.data} statuses={statuses.data} />
        </>
      )}

      {dialog?.kind === 'add' && catalogue.data && (
        <AddProviderKeyDialog
          catalogue={catalogue.data}
          initialProvider={dialog.provider}
          onClose={close}
        />
      )}
      {dialog?.kind === 'replace' && (
        <ReplaceKeyDialog
          credential={dialog.credential}
          provider={catalogue.data?.find((p) => p.id === dialog.credential.provider)}
          onClose={close}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${dialog.credential.name}?`}
          confirmLabel="Delete key"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          error={remove.error}
          onClose={close}
          onConfirm={() => {
            remove.mutate(dialog.credential.id, { onSuccess: close });
          }}
        >
          <p>
            Keyward forgets <strong>{dialog.credential.maskedKey}</strong> for good. Requests that
            rely on it fall back to the next provider in your order.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
