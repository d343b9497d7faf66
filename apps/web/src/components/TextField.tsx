import { useId, type InputHTMLAttributes, type ReactElement } from 'react';

interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  name: string;
  errors?: string[] | undefined;
  hint?: string;
  optional?: boolean;
}

/** A labelled input whose hint and errors are announced with it (aria-describedby). */
export function TextField({
  label,
  errors,
  hint,
  optional = false,
  ...inputProps
}: TextFieldProps): ReactElement {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const invalid = errors !== undefined && errors.length > 0;
  const describedBy = [hint && !invalid ? hintId : null, invalid ? errorId : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
        {optional && <span className="field__optional"> (optional)</span>}
      </label>
      <input
        {...inputProps}
        id={id}
        className="input"
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy || undefined}
      />
      {hint && !invalid && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {invalid && (
        <ul id={errorId} className="field__errors">
          {errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
