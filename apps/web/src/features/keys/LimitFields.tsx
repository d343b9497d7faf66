import { useId, type ReactElement } from 'react';
import { TextField } from '../../components/TextField';
import type { FieldErrors } from '../auth/validation';
import { RATE_WINDOWS, type LimitValues } from './key-form';

interface LimitFieldsProps {
  values: LimitValues;
  onChange: (patch: Partial<LimitValues>) => void;
  errors: FieldErrors;
}

/** Rate limit, its window and the allowed models: the same in the generate and edit dialogs. */
export function LimitFields({ values, onChange, errors }: LimitFieldsProps): ReactElement {
  const windowId = useId();
  const windowErrors = errors['rateLimit.windowSeconds'];
  return (
    <>
      <div className="field-row">
        <TextField
          label="Rate limit (requests)"
          name="rateLimit"
          type="number"
          inputMode="numeric"
          min={1}
          max={10000}
          value={values.limit}
          onChange={(event) => {
            onChange({ limit: event.target.value });
          }}
          errors={errors['rateLimit.limit'] ?? errors.rateLimit}
        />
        <div className="field">
          <label className="field__label" htmlFor={windowId}>
            Window
          </label>
          <select
            id={windowId}
            className="select select--block"
            value={values.windowSeconds}
            aria-invalid={windowErrors ? true : undefined}
            onChange={(event) => {
              onChange({ windowSeconds: event.target.value });
            }}
          >
            {RATE_WINDOWS.map((window) => (
              <option key={window.seconds} value={String(window.seconds)}>
                {window.label}
              </option>
            ))}
            {!RATE_WINDOWS.some((w) => String(w.seconds) === values.windowSeconds) && (
              <option value={values.windowSeconds}>every {values.windowSeconds} seconds</option>
            )}
          </select>
          {windowErrors && (
            <ul className="field__errors">
              {windowErrors.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <TextField
        label="Allowed models"
        name="allowedModels"
        optional
        placeholder="openai/gpt-4o-mini, anthropic/*"
        hint="Comma-separated provider/model ids. Leave empty to allow every model."
        value={values.allowedModels}
        onChange={(event) => {
          onChange({ allowedModels: event.target.value });
        }}
        errors={errors.allowedModels}
      />
    </>
  );
}
