import { describe, expect, it } from '@jest/globals';
import { SCOPE_PRESET_NAMES, SCOPE_PRESETS, SCOPES, type Scope } from '@keyward/shared';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Keeps the README's scopes table honest against the catalogue in libs/shared: a scope added to
 * the catalogue, or to a preset, must be documented with the presets that grant it.
 */

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));

interface ScopeRow {
  scope: string;
  allows: string;
  presets: string[];
}

/** The rows of the table under "### Scopes and presets". */
function documentedScopes(): ScopeRow[] {
  const text = readFileSync(README, 'utf8');
  const section = text.split('### Scopes and presets')[1]?.split('\n### ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [scope = '', allows = '', presets = ''] = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      return {
        scope: scope.replaceAll('`', ''),
        allows,
        presets: presets.split(',').map((name) => name.trim().replaceAll('`', '')),
      };
    });
}

const presetsGranting = (scope: Scope): string[] =>
  SCOPE_PRESET_NAMES.filter((name) => (SCOPE_PRESETS[name] as readonly Scope[]).includes(scope));

describe('README scopes table', () => {
  const rows = documentedScopes();

  it('lists every scope of the catalogue once, and nothing else', () => {
    expect(rows.map((row) => row.scope).sort()).toEqual([...SCOPES].sort());
  });

  it('says what each scope allows and names exactly the presets that grant it', () => {
    const documented = Object.fromEntries(rows.map((row) => [row.scope, row.presets]));
    const expected = Object.fromEntries(SCOPES.map((scope) => [scope, presetsGranting(scope)]));
    expect(documented).toEqual(expected);
    expect(rows.filter((row) => row.allows === '').map((row) => row.scope)).toEqual([]);
  });
});
