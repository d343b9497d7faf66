import type { ReactElement } from 'react';
import { NavLink } from 'react-router';

const TABS = [
  { to: '/admin', label: 'Users', end: true },
  { to: '/admin/plans', label: 'Plans', end: false },
  { to: '/admin/upgrade-requests', label: 'Upgrade requests', end: false },
] as const;

/** The admin area's sections, as links so each has its own address and history entry. */
export function AdminTabs(): ReactElement {
  return (
    <nav className="tabs" aria-label="Admin sections">
      {TABS.map((tab) => (
        <NavLink key={tab.to} to={tab.to} end={tab.end} className="tabs__link">
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
