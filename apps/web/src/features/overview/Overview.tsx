import type { ReactElement } from 'react';
import { Link } from 'react-router';
import { PageHeader } from '../../components/Feedback';
import { Icon, type IconName } from '../../components/Icon';
import { useCurrentUser } from '../auth/auth-context';
import { useMe } from '../auth/hooks';
import { NotificationsCard } from '../notifications/NotificationsCard';
import { ExpiringKeysCard } from './ExpiringKeysCard';
import { HealthCard } from './HealthCard';
import { PlanCard } from './PlanCard';
import { ProvidersCard } from './ProvidersCard';
import './overview.css';

const NEXT_STEPS: { to: string; icon: IconName; title: string; text: string }[] = [
  {
    to: '/keys',
    icon: 'keys',
    title: 'Create an API key',
    text: 'Issue a scoped key for your API.',
  },
  {
    to: '/providers',
    icon: 'providers',
    title: 'Connect a provider',
    text: 'Store an AI provider credential in the vault.',
  },
  { to: '/usage', icon: 'usage', title: 'Watch usage', text: 'See requests and set limits.' },
  { to: '/docs', icon: 'docs', title: 'Read the docs', text: 'Make your first request.' },
];

export function Overview(): ReactElement {
  // The session already knows the user; /me keeps the name fresh if it changed elsewhere.
  const sessionUser = useCurrentUser();
  const me = useMe();
  const user = me.data?.user ?? sessionUser;

  return (
    <>
      <PageHeader
        title={`Welcome${user.name ? `, ${user.name}` : ''}`}
        description={
          <>
            Signed in as <strong>{user.email}</strong>
            {user.role === 'admin' ? ' (admin)' : ''}. Here is how your Keyward instance is doing.
          </>
        }
      />
      <div className="grid grid--overview">
        <PlanCard />
        <ProvidersCard />
        <NotificationsCard />
        <ExpiringKeysCard />
        <HealthCard />
        <section className="card" aria-labelledby="next-heading">
          <h2 id="next-heading" className="card__title">
            Get started
          </h2>
          <ul className="next-steps">
            {NEXT_STEPS.map((step) => (
              <li key={step.to}>
                <Link to={step.to} className="next-steps__link">
                  <span className="next-steps__icon">
                    <Icon name={step.icon} />
                  </span>
                  <span>
                    <span className="next-steps__title">{step.title}</span>
                    <span className="next-steps__text">{step.text}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </>
  );
}
