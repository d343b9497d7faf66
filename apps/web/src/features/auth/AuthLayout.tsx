import type { ReactElement, ReactNode } from 'react';
import { Brand } from '../../components/Brand';

export function AuthLayout({
  title,
  subtitle,
  footer,
  children,
}: {
  title: string;
  subtitle: string;
  footer: ReactNode;
  children: ReactNode;
}): ReactElement {
  return (
    <div className="auth">
      <main className="auth__panel">
        <div className="auth__brand">
          <Brand />
        </div>
        <section className="auth__card" aria-labelledby="auth-title">
          <h1 id="auth-title" className="auth__title">
            {title}
          </h1>
          <p className="auth__subtitle">{subtitle}</p>
          {children}
        </section>
        <p className="auth__footer">{footer}</p>
      </main>
    </div>
  );
}
