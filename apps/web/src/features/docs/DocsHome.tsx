import { API_KEY_PATTERN, DEFAULT_API_KEY_PREFIX } from '@keyward/shared';
import { useState, type KeyboardEvent, type ReactElement } from 'react';
import { Link } from 'react-router';
import { PageHeader } from '../../components/Feedback';
import { CodeBlock } from './CodeBlock';
import { BEST_PRACTICES, codeExamples, ERROR_CODE_DOCS } from './examples';
import './docs.css';

const ERROR_BODY = `{
  "statusCode": 401,
  "code": "key_expired",
  "message": "This API key has expired"
}`;

export function DocsHome(): ReactElement {
  // The examples point at this deployment, wherever it is served from.
  const origin = window.location.origin;
  const examples = codeExamples(origin);
  const [selected, setSelected] = useState(0);
  const current = examples[selected] ?? examples[0];

  function onTabKey(event: KeyboardEvent<HTMLDivElement>): void {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = (selected + step + examples.length) % examples.length;
    setSelected(next);
    event.currentTarget.querySelectorAll<HTMLButtonElement>('[role="tab"]')[next]?.focus();
  }

  const openApiLink = (
    <a className="button button--secondary" href="/api/docs" target="_blank" rel="noreferrer">
      OpenAPI reference ↗
    </a>
  );

  return (
    <>
      <PageHeader
        title="Docs"
        description="How to call this Keyward deployment with an API key."
        actions={openApiLink}
      />
      <div className="docs">
        <section className="card docs-section" aria-labelledby="docs-quickstart">
          <h2 id="docs-quickstart" className="card__title">
            Quick start
          </h2>
          <ol className="docs-steps">
            <li>
              <Link to="/keys">Generate a key</Link> on the API Keys page and copy it: it is shown
              once.
            </li>
            <li>
              Put it in the <code className="docs-inline">KEYWARD_API_KEY</code> environment
              variable, never in your code.
            </li>
            <li>
              Send it as a bearer token to <code className="docs-inline">{origin}/v1</code>. The API
              speaks the OpenAI format, so OpenAI clients work with just a new base URL.
            </li>
          </ol>
          <div className="docs-tabs">
            <div
              className="docs-tabs__list"
              role="tablist"
              aria-label="Examples"
              onKeyDown={onTabKey}
            >
              {examples.map((example, index) => (
                <button
                  key={example.id}
                  type="button"
                  role="tab"
                  id={`docs-tab-${example.id}`}
                  aria-selected={index === selected}
                  aria-controls={`docs-panel-${example.id}`}
                  tabIndex={index === selected ? 0 : -1}
                  className="docs-tabs__tab"
                  onClick={() => {
                    setSelected(index);
                  }}
                >
                  {example.label}
                </button>
              ))}
            </div>
            {current && (
              <div
                role="tabpanel"
                id={`docs-panel-${current.id}`}
                aria-labelledby={`docs-tab-${current.id}`}
              >
                <CodeBlock
                  key={current.id}
                  label={current.label}
                  language={current.language}
                  code={current.code}
                  testId={`example-${current.id}`}
                />
              </div>
            )}
          </div>
        </section>

        <section className="card docs-section" aria-labelledby="docs-format">
          <h2 id="docs-format" className="card__title">
            Key format
          </h2>
          <p className="docs-text">
            A key is a prefix, an underscore, 32 random characters and a 6-character checksum, all
            base62. The checksum lets your code, and secret scanners, reject a mistyped or made-up
            key without calling the server.
          </p>
          <p className="docs-anatomy" aria-label="Parts of a key">
            <span className="docs-anatomy__part docs-anatomy__part--prefix">
              {DEFAULT_API_KEY_PREFIX}
              <small>prefix</small>
            </span>
            <span className="docs-anatomy__sep">_</span>
            <span className="docs-anatomy__part docs-anatomy__part--random">
              7Hq2…fK9x
              <small>32 random</small>
            </span>
            <span className="docs-anatomy__part docs-anatomy__part--check">
              Zr41Qa
              <small>checksum</small>
            </span>
          </p>
          <CodeBlock
            label="Regular expression"
            language="regex"
            code={API_KEY_PATTERN.source}
            testId="key-pattern"
          />
        </section>

        <section className="card card--flush docs-section" aria-labelledby="docs-errors">
          <div className="docs-section__head">
            <h2 id="docs-errors" className="card__title">
              Error codes
            </h2>
            <p className="docs-text">
              Every error has the same JSON body. Match on <code className="docs-inline">code</code>
              , which is stable; <code className="docs-inline">message</code> is for people and may
              change.
            </p>
            <CodeBlock label="Error body" language="json" code={ERROR_BODY} />
          </div>
          <div className="table-wrap">
            <table className="table table--stack table--errors">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Meaning</th>
                  <th scope="col">What to do</th>
                </tr>
              </thead>
              <tbody>
                {ERROR_CODE_DOCS.map((entry) => (
                  <tr key={entry.code} data-testid="error-code-row">
                    <td data-label="Code">
                      <code className="docs-inline">{entry.code}</code>
                    </td>
                    <td data-label="HTTP">{entry.status}</td>
                    <td data-label="Meaning">{entry.meaning}</td>
                    <td data-label="What to do" className="muted">
                      {entry.fix}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section className="card docs-section" aria-labelledby="docs-security">
          <h2 id="docs-security" className="card__title">
            Security best practices
          </h2>
          <ul className="docs-practices">
            {BEST_PRACTICES.map((practice) => (
              <li key={practice.title} className="docs-practice">
                <h3 className="docs-practice__title">{practice.title}</h3>
                <p className="docs-practice__text">{practice.text}</p>
              </li>
            ))}
          </ul>
        </section>

        <section className="card docs-section docs-reference" aria-labelledby="docs-reference">
          <div>
            <h2 id="docs-reference" className="card__title">
              Full API reference
            </h2>
            <p className="docs-text">
              Every endpoint, its parameters and its responses, with a console to try them.
            </p>
          </div>
          {openApiLink}
        </section>
      </div>
    </>
  );
}
