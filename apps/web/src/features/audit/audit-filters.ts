import { AUDIT_ACTIONS, type AuditAction } from '@keyward/shared';

export interface ActionGroup {
  /** The part before the dot: key, auth, provider_key… */
  prefix: string;
  actions: AuditAction[];
}

/** AUDIT_ACTIONS grouped by prefix, in catalogue order: key.* together, auth.* together. */
export const ACTION_GROUPS: readonly ActionGroup[] = AUDIT_ACTIONS.reduce<ActionGroup[]>(
  (groups, action) => {
    const prefix = action.split('.')[0] ?? action;
    const group = groups.find((candidate) => candidate.prefix === prefix);
    if (group) group.actions.push(action);
    else groups.push({ prefix, actions: [action] });
    return groups;
  },
  [],
);

/**
 * A yyyy-mm-dd date input as the instant that day starts in the browser's time zone. The API
 * treats `to` as exclusive, so the end of a range is the start of the next day.
 */
export function dayStart(date: string, addDays = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  return new Date(year, month - 1, day + addDays).toISOString();
}

/** "Mozilla/5.0 (X11; Linux x86_64) … Chrome/140.0.0.0 Safari/537.36" → "Chrome 140 · Linux". */
export function shortUserAgent(agent: string): string {
  const browser =
    /(Edg|OPR|Firefox|Chrome|Version)\/(\d+)/.exec(agent) ?? /^([\w.-]+)\/([\d.]+)/.exec(agent);
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera', Version: 'Safari' };
  const os = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(agent)?.[1];
  const osName = os === 'Mac OS X' ? 'macOS' : os;
  if (!browser) return agent.length > 32 ? `${agent.slice(0, 31)}…` : agent;
  const name = `${names[browser[1] ?? ''] ?? browser[1] ?? ''} ${(browser[2] ?? '').split('.')[0] ?? ''}`;
  const label = osName ? `${name} · ${osName}` : name;
  return label.length > 32 ? `${label.slice(0, 31)}…` : label;
}

const TARGET_NAMES: Record<string, string> = {
  api_key: 'API key',
  provider_key: 'Provider key',
  provider_preferences: 'Provider order',
  session: 'Session',
  user: 'User',
};

/** What the entry acted on: "API key key_01m8…" with the id shortened. */
export function targetLabel(type: string | null, id: string | null): string | null {
  if (!type && !id) return null;
  const name = type ? (TARGET_NAMES[type] ?? type.replace(/_/g, ' ')) : null;
  const shortId = id && id.length > 12 ? `${id.slice(0, 8)}…` : id;
  return [name, shortId].filter(Boolean).join(' ');
}
