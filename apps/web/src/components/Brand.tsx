import type { ReactElement } from 'react';

export function Brand(): ReactElement {
  return (
    <span className="brand">
      <svg className="brand__mark" aria-hidden="true" viewBox="0 0 32 32" width="28" height="28">
        <rect width="32" height="32" rx="8" fill="currentColor" />
        <circle cx="12.5" cy="16" r="5" fill="none" stroke="#fff" strokeWidth="2.5" />
        <path
          d="M17.5 16h8m-3 0v4m-3.5-4v3"
          stroke="#fff"
          strokeWidth="2.5"
          strokeLinecap="round"
        />
      </svg>
      <span className="brand__name">Keyward</span>
    </span>
  );
}
