/** What the event history can be narrowed by, beside the page's key and period. */
export interface EventFilterValues {
  route: string;
  model: string;
  /** '' for any, an exact status (429) or a class (4xx). */
  status: string;
}

export const EMPTY_EVENT_FILTERS: EventFilterValues = { route: '', model: '', status: '' };

export const STATUS_CHOICES: readonly { value: string; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: '2xx', label: 'Succeeded (2xx)' },
  { value: '4xx', label: 'Client errors (4xx)' },
  { value: '401', label: 'Unauthorized (401)' },
  { value: '429', label: 'Limited (429)' },
  { value: '5xx', label: 'Server errors (5xx)' },
];

/** Trimmed values, so a stray space does not become a filter that matches nothing. */
export function normaliseFilters(values: EventFilterValues): EventFilterValues {
  return { route: values.route.trim(), model: values.model.trim(), status: values.status };
}

export function isFiltered(values: EventFilterValues): boolean {
  return values.route !== '' || values.model !== '' || values.status !== '';
}
