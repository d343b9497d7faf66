import type { ReactElement } from 'react';

export type IconName =
  | 'overview'
  | 'keys'
  | 'providers'
  | 'usage'
  | 'audit'
  | 'docs'
  | 'settings'
  | 'admin'
  | 'menu'
  | 'close'
  | 'signOut'
  | 'plus'
  | 'search'
  | 'edit'
  | 'rotate'
  | 'revoke';

function paths(name: IconName): ReactElement {
  switch (name) {
    case 'overview':
      return (
        <>
          <rect x="3" y="3" width="7" height="9" rx="1.5" />
          <rect x="14" y="3" width="7" height="5" rx="1.5" />
          <rect x="14" y="12" width="7" height="9" rx="1.5" />
          <rect x="3" y="16" width="7" height="5" rx="1.5" />
        </>
      );
    case 'keys':
      return (
        <>
          <circle cx="8" cy="15" r="4" />
          <path d="M10.8 12.2 20 3m-4 4 3 3m-5-1 2 2" />
        </>
      );
    case 'providers':
      return (
        <>
          <rect x="3" y="4" width="18" height="6" rx="1.5" />
          <rect x="3" y="14" width="18" height="6" rx="1.5" />
          <path d="M7 7h.01M7 17h.01" />
        </>
      );
    case 'usage':
      return <path d="M4 20V10m6 10V4m6 16v-7m4 7H3" />;
    case 'audit':
      return (
        <>
          <path d="M9 4h6l4 4v12H5V4h4" />
          <path d="M9 12h6M9 16h4" />
        </>
      );
    case 'docs':
      return <path d="M4 5a2 2 0 0 1 2-2h12v16H6a2 2 0 0 0-2 2V5Zm0 14a2 2 0 0 1 2-2h12v4" />;
    case 'settings':
      return (
        <>
          <circle cx="12" cy="12" r="3" />
          <path d="M12 2v3m0 14v3M4.9 4.9l2.1 2.1m10 10 2.1 2.1M2 12h3m14 0h3M4.9 19.1 7 17m10-10 2.1-2.1" />
        </>
      );
    case 'admin':
      return (
        <>
          <path d="M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3Z" />
          <path d="m9 12 2 2 4-4" />
        </>
      );
    case 'menu':
      return <path d="M4 7h16M4 12h16M4 17h16" />;
    case 'close':
      return <path d="M6 6l12 12M18 6 6 18" />;
    case 'edit':
      return <path d="M4 20h4L19 9l-4-4L4 16v4Zm9-13 4 4" />;
    case 'rotate':
      return <path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" />;
    case 'revoke':
      return (
        <>
          <circle cx="12" cy="12" r="8" />
          <path d="m6.5 6.5 11 11" />
        </>
      );
    case 'plus':
      return <path d="M12 5v14M5 12h14" />;
    case 'search':
      return (
        <>
          <circle cx="11" cy="11" r="6" />
          <path d="m20 20-4.5-4.5" />
        </>
      );
    case 'signOut':
      return <path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 16l-4-4 4-4m-4 4h11" />;
  }
}

/** Decorative line icons; the text next to them carries the meaning. */
export function Icon({ name, size = 18 }: { name: IconName; size?: number }): ReactElement {
  return (
    <svg
      aria-hidden="true"
      focusable="false"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {paths(name)}
    </svg>
  );
}
