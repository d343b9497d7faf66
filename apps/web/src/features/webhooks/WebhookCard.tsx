import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Alert, Spinner } from '../../components/Feedback';
import { DeliveryList } from './DeliveryList';
import { useRemoveWebhook, useRotateWebhookSecret, useTestWebhook, useWebhook } from './hooks';
import { WebhookForm } from './WebhookForm';
import { WebhookSecretDialog } from './WebhookSecretDialog';

interface Revealed {
  secret: string;
  rotated: boolean;
}

/** The notification webhook: where alerts are POSTed, signed with a secret shown once. */
export function WebhookCard(): ReactElement {
  const webhook = useWebhook();
  const remove = useRemoveWebhook();
  const rotate = useRotateWebhookSecret();
  const test = useTestWebhook();
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const current = webhook.data ?? null;

  return (
    <section className="card settings-card" aria-labelledby="webhook-heading" id="webhook">
      <header className="settings-card__header">
        <h2 id="webhook-heading" className="card__title">
          Webhook
        </h2>
        <p className="settings-card__description">
          Keyward POSTs every notification (limits reached, leaked keys, invalid provider keys) to
          this URL, signed so you can tell it came from here.
        </p>
      </header>
      {webhook.isPending && <Spinner label="Loading the webhook…" />}
      {webhook.isError && (
        <Alert title="Could not load the webhook">{errorMessage(webhook.error)}</Alert>
      )}
      {webhook.isSuccess && (
        <WebhookForm
          key={current ? 'set' : 'none'}
          current={current?.url ?? null}
          onSaved={(secret) => {
            setRevealed({ secret, rotated: false });
          }}
        />
      )}
      {current && (
        <div className="webhook-actions">
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={test.isPending}
            onClick={() => {
              test.mutate();
            }}
          >
            {test.isPending ? 'Sending…' : 'Send test'}
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={rotate.isPending}
            onClick={() => {
              rotate.mutate(undefined, {
                onSuccess: (saved) => {
                  setRevealed({ secret: saved.secret, rotated: true });
                },
              });
            }}
          >
            Rotate secret
          </button>
          <button
            type="button"
            className="button button--danger-ghost button--small"
            onClick={() => {
              setConfirmRemove(true);
            }}
          >
            Remove
          </button>
        </div>
      )}
      {test.data && (
        <Alert tone={test.data.delivered ? 'success' : 'error'} title="Test delivery">
          {test.data.delivered
            ? `Delivered: your endpoint answered ${test.data.httpStatus ?? 'OK'}.`
            : `Not delivered: ${test.data.error ?? `your endpoint answered ${test.data.httpStatus ?? '—'}`}.`}
        </Alert>
      )}
      {(test.isError || rotate.isError) && (
        <Alert>{errorMessage(test.error ?? rotate.error)}</Alert>
      )}
      {current && <DeliveryList deliveries={current.deliveries} />}
      {confirmRemove && (
        <ConfirmDialog
          title="Remove the webhook?"
          confirmLabel="Remove webhook"
          pendingLabel="Removing…"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => {
            remove.mutate(undefined, {
              onSuccess: () => {
                setConfirmRemove(false);
              },
            });
          }}
          onClose={() => {
            setConfirmRemove(false);
            remove.reset();
          }}
        >
          Notifications will stay in the console but no longer reach {current?.url}.
        </ConfirmDialog>
      )}
      {revealed && (
        <WebhookSecretDialog
          secret={revealed.secret}
          rotated={revealed.rotated}
          onClose={() => {
            setRevealed(null);
          }}
        />
      )}
    </section>
  );
}
