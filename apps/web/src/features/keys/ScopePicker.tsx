import type { Scope, ScopeCatalogueResponse, ScopePreset } from '@keyward/shared';
import { useId, type ReactElement } from 'react';
import type { ScopeSelection } from './key-form';

interface ScopePickerProps {
  catalogue: ScopeCatalogueResponse;
  isAdmin: boolean;
  value: ScopeSelection;
  onChange: (next: ScopeSelection) => void;
  errors?: string[] | undefined;
}

const PRESET_LABELS: Record<ScopePreset, string> = {
  read_only: 'Read only',
  generate_only: 'Generate only',
  full_access: 'Full access',
  admin: 'Admin',
};

/** A preset, or scopes one by one; admin-only scopes are not offered to non-admins. */
export function ScopePicker({
  catalogue,
  isAdmin,
  value,
  onChange,
  errors,
}: ScopePickerProps): ReactElement {
  const id = useId();
  const adminOnly = new Set(catalogue.scopes.filter((s) => s.adminOnly).map((s) => s.scope));
  const scopes = catalogue.scopes.filter((s) => isAdmin || !s.adminOnly);
  const presets = catalogue.presets.filter(
    (preset) => isAdmin || !preset.scopes.some((scope) => adminOnly.has(scope)),
  );
  const invalid = errors !== undefined && errors.length > 0;

  function toggle(scope: Scope, checked: boolean): void {
    const next = checked ? [...value.scopes, scope] : value.scopes.filter((s) => s !== scope);
    onChange({ ...value, scopes: next });
  }

  function switchMode(mode: ScopeSelection['mode']): void {
    // Starting from the preset's scopes makes "a preset, minus one" a single click.
    const preset = catalogue.presets.find((p) => p.name === value.preset);
    const scopes =
      mode === 'custom' && value.scopes.length === 0 ? (preset?.scopes ?? []) : value.scopes;
    onChange({ ...value, mode, scopes });
  }

  return (
    <fieldset className="fieldset" aria-describedby={invalid ? `${id}-error` : undefined}>
      <legend className="fieldset__legend">Permissions</legend>
      <div className="segmented" role="radiogroup" aria-label="How to choose permissions">
        {(['preset', 'custom'] as const).map((mode) => (
          <label key={mode} className="segmented__option">
            <input
              type="radio"
              name={`${id}-mode`}
              checked={value.mode === mode}
              onChange={() => {
                switchMode(mode);
              }}
            />
            <span>{mode === 'preset' ? 'Preset' : 'Individual scopes'}</span>
          </label>
        ))}
      </div>
      {value.mode === 'preset' ? (
        <div className="choice-list">
          {presets.map((preset) => (
            <label key={preset.name} className="choice">
              <input
                type="radio"
                name={`${id}-preset`}
                value={preset.name}
                checked={value.preset === preset.name}
                onChange={() => {
                  onChange({ ...value, preset: preset.name });
                }}
              />
              <span className="choice__text">
                <span className="choice__title">{PRESET_LABELS[preset.name]}</span>
                <span className="choice__hint">{preset.description}</span>
                <span className="choice__scopes">{preset.scopes.join(' · ')}</span>
              </span>
            </label>
          ))}
        </div>
      ) : (
        <div className="choice-list choice-list--grid">
          {scopes.map(({ scope, description }) => (
            <label key={scope} className="choice">
              <input
                type="checkbox"
                value={scope}
                checked={value.scopes.includes(scope)}
                onChange={(event) => {
                  toggle(scope, event.target.checked);
                }}
              />
              <span className="choice__text">
                <span className="choice__title mono">{scope}</span>
                <span className="choice__hint">{description}</span>
              </span>
            </label>
          ))}
        </div>
      )}
      {invalid && (
        <ul id={`${id}-error`} className="field__errors">
          {errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
