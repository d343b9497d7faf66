import type { ProviderId, ProviderInfo, ProviderStatusEntry } from '@keyward/shared';
import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useProviderPreferences, useSaveProviderPreferences } from './hooks';
import { StatusBadge } from './StatusBadge';

const CAPABILITY = 'chat';

interface FallbackOrderProps {
  catalogue: ProviderInfo[];
  statuses: ProviderStatusEntry[];
}

/** Saved order first, then every other chat provider in catalogue order. */
function fullOrder(saved: readonly ProviderId[], candidates: readonly ProviderId[]): ProviderId[] {
  const known = saved.filter((id) => candidates.includes(id));
  return [...known, ...candidates.filter((id) => !known.includes(id))];
}

export function FallbackOrder({ catalogue, statuses }: FallbackOrderProps): ReactElement {
  const preferences = useProviderPreferences();
  const save = useSaveProviderPreferences();
  const [draft, setDraft] = useState<ProviderId[] | null>(null);
  const candidates = catalogue.filter((p) => p.capabilities.includes(CAPABILITY)).map((p) => p.id);
  const saved = preferences.data?.preferences.find((p) => p.capability === CAPABILITY)?.order ?? [];
  const order = draft ?? fullOrder(saved, candidates);
  const nameOf = (id: ProviderId): string => catalogue.find((p) => p.id === id)?.name ?? id;

  function move(index: number, by: -1 | 1): void {
    const next = [...order];
    const target = index + by;
    const [item] = next.splice(index, 1);
    if (item === undefined || target < 0 || target > next.length) return;
    next.splice(target, 0, item);
    save.reset();
    setDraft(next);
  }

  return (
    <section className="card fallback" aria-labelledby="fallback-heading">
      <div className="card__header">
        <div>
          <h2 id="fallback-heading" className="card__title">
            Chat fallback order
          </h2>
          <p className="card__subtitle">
            Keyward tries these providers in turn when a chat request does not name one.
          </p>
        </div>
        <button
          type="button"
          className="button button--primary button--small"
          disabled={draft === null || save.isPending}
          onClick={() => {
            save.mutate(
              { capability: CAPABILITY, order },
              {
                onSuccess: () => {
                  setDraft(null);
                },
              },
            );
          }}
        >
          {save.isPending ? 'Saving…' : 'Save order'}
        </button>
      </div>
      {preferences.isPending && <Spinner label="Loading the order…" />}
      {preferences.isError && (
        <Alert title="Could not load the order">{errorMessage(preferences.error)}</Alert>
      )}
      {save.isError && <Alert title="Could not save the order">{errorMessage(save.error)}</Alert>}
      {save.isSuccess && draft === null && <Alert tone="success">Order saved.</Alert>}
      {preferences.data && (
        <ol className="fallback__list" aria-label="Chat providers, first tried first">
          {order.map((id, index) => (
            <li key={id} className="fallback__item" data-provider={id}>
              <span className="fallback__rank">{index + 1}</span>
              <span className="fallback__name">
                <span>{nameOf(id)}</span>
                <StatusBadge
                  status={statuses.find((s) => s.provider === id)?.status ?? 'not_configured'}
                />
              </span>
              <span className="fallback__buttons">
                <button
                  type="button"
                  className="button button--ghost button--small"
                  aria-label={`Move ${nameOf(id)} up`}
                  disabled={index === 0}
                  onClick={() => {
                    move(index, -1);
                  }}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button button--ghost button--small"
                  aria-label={`Move ${nameOf(id)} down`}
                  disabled={index === order.length - 1}
                  onClick={() => {
                    move(index, 1);
                  }}
                >
                  ↓
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
