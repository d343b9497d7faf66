import { Suspense, useState, type ReactElement } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { Brand } from '../components/Brand';
import { Spinner } from '../components/Feedback';
import { Icon } from '../components/Icon';
import { useCurrentUser } from '../features/auth/auth-context';
import { useLogout } from '../features/auth/hooks';
import type { AuthLocationState } from '../features/auth/location-state';
import { NAV_ITEMS, navItemFor } from './nav';

/** The signed-in shell: sidebar navigation (a top menu on small screens) and a top bar. */
export function Layout(): ReactElement {
  const user = useCurrentUser();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);

  const items = NAV_ITEMS.filter((item) => !item.adminOnly || user.role === 'admin');
  const current = navItemFor(location.pathname);

  async function signOut(): Promise<void> {
    try {
      await logout.mutateAsync();
    } catch {
      // The token is forgotten locally even when the server call fails; carry on to /login.
    }
    // mutateAsync, not mutate: this layout unmounts as soon as the session ends, and a
    // mutate() callback would then never run.
    const state: AuthLocationState = { signedOut: true };
    await navigate('/login', { replace: true, state });
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar" data-open={menuOpen}>
        <div className="sidebar__header">
          <NavLink to="/" className="sidebar__brand" aria-label="Keyward overview">
            <Brand />
          </NavLink>
          <button
            type="button"
            className="button button--ghost menu-button"
            aria-expanded={menuOpen}
            aria-controls="primary-nav"
            onClick={() => {
              setMenuOpen((open) => !open);
            }}
          >
            <Icon name={menuOpen ? 'close' : 'menu'} />
            <span>Menu</span>
          </button>
        </div>
        <nav id="primary-nav" className="nav" aria-label="Primary">
          <ul className="nav__list">
            {items.map((item) => (
              <li key={item.to}>
                <NavLink
                  to={item.to}
                  end={item.to === '/'}
                  className="nav__link"
                  onClick={() => {
                    setMenuOpen(false);
                  }}
                >
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <div className="main">
        <header className="topbar">
          <p className="topbar__title">{current?.label ?? 'Keyward'}</p>
          <div className="topbar__user">
            <span className="avatar" aria-hidden="true">
              {(user.name ?? user.email).charAt(0).toUpperCase()}
            </span>
            <span className="topbar__email" data-testid="user-email" title={user.email}>
              {user.email}
            </span>
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => void signOut()}
              disabled={logout.isPending}
            >
              <Icon name="signOut" size={16} />
              <span>{logout.isPending ? 'Signing out…' : 'Sign out'}</span>
            </button>
          </div>
        </header>
        <main id="main" className="content" tabIndex={-1}>
          <Suspense fallback={<Spinner label="Loading page…" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
