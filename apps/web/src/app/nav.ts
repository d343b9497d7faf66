import type { IconName } from '../components/Icon';

export interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  adminOnly?: boolean;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { to: '/', label: 'Overview', icon: 'overview' },
  { to: '/keys', label: 'API Keys', icon: 'keys' },
  { to: '/providers', label: 'Providers', icon: 'providers' },
  { to: '/usage', label: 'Usage', icon: 'usage' },
  { to: '/audit', label: 'Audit log', icon: 'audit' },
  { to: '/docs', label: 'Docs', icon: 'docs' },
  { to: '/settings', label: 'Settings', icon: 'settings' },
  { to: '/admin', label: 'Admin', icon: 'admin', adminOnly: true },
];

export function navItemFor(pathname: string): NavItem | undefined {
  return NAV_ITEMS.find((item) =>
    item.to === '/' ? pathname === '/' : pathname === item.to || pathname.startsWith(`${item.to}/`),
  );
}
