import type { ReactElement, ReactNode } from 'react';

export function Alert({
  tone = 'error',
  title,
  children,
}: {
  tone?: 'error' | 'success' | 'info';
  title?: string;
  children: ReactNode;
}): ReactElement {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title && <p className="alert__title">{title}</p>}
      <div>{children}</div>
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }): ReactElement {
  return (
    <div className="spinner" role="status">
      <span className="spinner__ring" aria-hidden="true" />
      <span className="spinner__label">{label}</span>
    </div>
  );
}

export function FullPageLoader({ label }: { label?: string }): ReactElement {
  return (
    <div className="full-page-loader">
      <Spinner label={label ?? 'Loading Keyward…'} />
    </div>
  );
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}): ReactElement {
  return (
    <header className="page-header">
      <div>
        <h1 className="page-header__title">{title}</h1>
        {description && <p className="page-header__description">{description}</p>}
      </div>
      {actions && <div className="page-header__actions">{actions}</div>}
    </header>
  );
}

/** What an unfinished section will hold; later issues replace these one by one. */
export function FeaturePlaceholder({
  title,
  description,
  planned,
}: {
  title: string;
  description: string;
  planned: string[];
}): ReactElement {
  return (
    <>
      <PageHeader title={title} description={description} />
      <section className="card placeholder" aria-labelledby="planned-heading">
        <span className="badge badge--neutral">Coming soon</span>
        <h2 id="planned-heading" className="card__title">
          What will live here
        </h2>
        <ul className="placeholder__list">
          {planned.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      </section>
    </>
  );
}
