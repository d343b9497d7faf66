/**
 * Every permission an API key can carry, as `resource:action`. Each guarded route and each
 * management route names exactly one of these. The console shows the descriptions.
 */
export const SCOPE_CATALOGUE = {
  'models:read': 'List the models this key can use (GET /v1/models).',
  generate: 'Generate with models: chat completions and text generation (POST /v1/...).',
  'usage:read': 'Read usage and limits (GET /v1/usage, /api/usage/*).',
  'keys:read': 'List and read API keys and their usage.',
  'keys:write': 'Create, edit, regenerate and revoke API keys.',
  'providers:read': 'List provider credentials (masked) and their status.',
  'providers:write': 'Add, test, replace and delete provider credentials.',
  'audit:read': 'Read the audit log.',
  'notifications:read': 'Read and mark notifications.',
  'webhooks:read': 'Read the notification webhook and its recent deliveries (never its secret).',
  'webhooks:write': 'Set, test and remove the notification webhook, and rotate its signing secret.',
  'plan:write': 'Ask for a different plan (upgrade requests).',
  'admin:users': 'Manage users, roles and plans (admins only).',
} as const;

export type Scope = keyof typeof SCOPE_CATALOGUE;
export const SCOPES = Object.keys(SCOPE_CATALOGUE) as Scope[];

/** Scopes only an admin user can hold, and so grant. */
export const ADMIN_SCOPES: readonly Scope[] = ['admin:users'];

/** Named presets, from least to most. */
export const SCOPE_PRESETS = {
  read_only: [
    'models:read',
    'usage:read',
    'keys:read',
    'providers:read',
    'audit:read',
    'notifications:read',
    'webhooks:read',
  ],
  generate_only: ['models:read', 'generate'],
  full_access: SCOPES.filter((scope) => !ADMIN_SCOPES.includes(scope)),
  admin: SCOPES,
} as const satisfies Record<string, readonly Scope[]>;

export type ScopePreset = keyof typeof SCOPE_PRESETS;
export const SCOPE_PRESET_NAMES = Object.keys(SCOPE_PRESETS) as ScopePreset[];

export const SCOPE_PRESET_DESCRIPTIONS: Record<ScopePreset, string> = {
  read_only: 'Read everything, change nothing, generate nothing.',
  generate_only: 'Call models: what an application in production needs.',
  full_access: 'Everything a user can do, except administration.',
  admin: 'Everything, including user administration (admin users only).',
};

export interface ScopeCatalogueResponse {
  scopes: { scope: Scope; description: string; adminOnly: boolean }[];
  presets: { name: ScopePreset; description: string; scopes: Scope[] }[];
}
