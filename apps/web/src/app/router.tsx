import { lazy, Suspense, type ReactElement, type ReactNode } from 'react';
import { createBrowserRouter } from 'react-router';
import { FullPageLoader } from '../components/Feedback';
import { RequireAdmin, RequireAuth } from './guards';
import { Layout } from './Layout';
import { RouteError } from './RouteError';

// Every page is its own chunk; the shell and the auth state load first.
const LoginPage = lazy(() => import('../features/auth/LoginPage'));
const RegisterPage = lazy(() => import('../features/auth/RegisterPage'));
const OverviewPage = lazy(() => import('../pages/OverviewPage'));
const KeysPage = lazy(() => import('../pages/KeysPage'));
const ProvidersPage = lazy(() => import('../pages/ProvidersPage'));
const UsagePage = lazy(() => import('../pages/UsagePage'));
const AuditPage = lazy(() => import('../pages/AuditPage'));
const DocsPage = lazy(() => import('../pages/DocsPage'));
const SettingsPage = lazy(() => import('../pages/SettingsPage'));
const AdminPage = lazy(() => import('../pages/AdminPage'));
const NotFoundPage = lazy(() => import('../pages/NotFoundPage'));

function Standalone({ children }: { children: ReactNode }): ReactElement {
  return <Suspense fallback={<FullPageLoader />}>{children}</Suspense>;
}

export const router = createBrowserRouter([
  {
    // One pathless parent so every route shares the same error screen.
    errorElement: <RouteError />,
    children: [
      {
        path: '/login',
        element: (
          <Standalone>
            <LoginPage />
          </Standalone>
        ),
      },
      {
        path: '/register',
        element: (
          <Standalone>
            <RegisterPage />
          </Standalone>
        ),
      },
      {
        path: '/',
        element: (
          <RequireAuth>
            <Layout />
          </RequireAuth>
        ),
        children: [
          { index: true, element: <OverviewPage /> },
          { path: 'keys', element: <KeysPage /> },
          { path: 'providers', element: <ProvidersPage /> },
          { path: 'usage', element: <UsagePage /> },
          { path: 'audit', element: <AuditPage /> },
          { path: 'docs', element: <DocsPage /> },
          { path: 'settings', element: <SettingsPage /> },
          {
            path: 'admin',
            element: (
              <RequireAdmin>
                <AdminPage section="users" />
              </RequireAdmin>
            ),
          },
          {
            path: 'admin/plans',
            element: (
              <RequireAdmin>
                <AdminPage section="plans" />
              </RequireAdmin>
            ),
          },
          {
            path: 'admin/upgrade-requests',
            element: (
              <RequireAdmin>
                <AdminPage section="upgrade-requests" />
              </RequireAdmin>
            ),
          },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
