import { useId, useState, type ReactElement, type SubmitEvent } from 'react';
import {
  EMPTY_EVENT_FILTERS,
  isFiltered,
  normaliseFilters,
  STATUS_CHOICES,
  type EventFilterValues,
} from './event-filters';

interface EventFiltersProps {
  applied: EventFilterValues;
  onApply: (values: EventFilterValues) => void;
  /** Suggestions from the period's breakdowns, so nobody has to remember a route's spelling. */
  routes: readonly string[];
  models: readonly string[];
}

/**
 * Route, model and status filters for the event history. Text filters apply on submit (Enter
 * or the button), not per keystroke, so typing a model id does not fire a query per letter.
 */
export function EventFilters({
  applied,
  onApply,
  routes,
  models,
}: EventFiltersProps): ReactElement {
  const id = useId();
  const [draft, setDraft] = useState<EventFilterValues>(applied);

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    onApply(normaliseFilters(draft));
  }

  return (
    <form className="usage-filters" role="search" aria-label="Filter events" onSubmit={submit}>
      <div className="usage-filter">
        <label className="usage-filter__label" htmlFor={`${id}-route`}>
          Route
        </label>
        <input
          id={`${id}-route`}
          className="input"
          list={`${id}-routes`}
          placeholder="POST /v1/chat/completions"
          value={draft.route}
          onChange={(event) => {
            setDraft({ ...draft, route: event.target.value });
          }}
        />
        <datalist id={`${id}-routes`}>
          {routes.map((route) => (
            <option key={route} value={route} />
          ))}
        </datalist>
      </div>
      <div className="usage-filter">
        <label className="usage-filter__label" htmlFor={`${id}-model`}>
          Model
        </label>
        <input
          id={`${id}-model`}
          className="input"
          list={`${id}-models`}
          placeholder="openai/gpt-4o-mini"
          value={draft.model}
          onChange={(event) => {
            setDraft({ ...draft, model: event.target.value });
          }}
        />
        <datalist id={`${id}-models`}>
          {models.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
      </div>
      <div className="usage-filter">
        <label className="usage-filter__label" htmlFor={`${id}-status`}>
          Status
        </label>
        <select
          id={`${id}-status`}
          className="select"
          value={draft.status}
          onChange={(event) => {
            // A select has nothing to type: apply at once.
            const next = { ...draft, status: event.target.value };
            setDraft(next);
            onApply(normaliseFilters(next));
          }}
        >
          {STATUS_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      <div className="usage-filters__actions">
        <button type="submit" className="button button--secondary">
          Apply filters
        </button>
        {isFiltered(applied) && (
          <button
            type="button"
            className="button button--ghost"
            onClick={() => {
              setDraft(EMPTY_EVENT_FILTERS);
              onApply(EMPTY_EVENT_FILTERS);
            }}
          >
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
