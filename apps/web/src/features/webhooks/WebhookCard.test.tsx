import { describe, expect, it, jest } from '@jest/globals';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockFetch, renderWithQueries } from '../../test/render';
import { WebhookCard } from './WebhookCard';
import { WebhookForm } from './WebhookForm';

const SECRET = 'whsec_test_0123456789abcdefghijklmnop';
const SAVED = {
  url: 'https://example.com/hooks/keyward',
  createdAt: '2026-11-30T10:00:00.000Z',
  updatedAt: '2026-11-30T10:00:00.000Z',
  deliveries: [],
};

describe('WebhookForm', () => {
  it('checks the URL with the DTO rules before anything is sent', async () => {
    const calls = mockFetch({});
    const onSaved = jest.fn();
    renderWithQueries(<WebhookForm current={null} onSaved={onSaved} />);
    const user = userEvent.setup();

    // Nothing to save yet.
    expect(screen.getByRole('button', { name: 'Set webhook' }).hasAttribute('disabled')).toBe(true);

    await user.type(screen.getByLabelText('Endpoint URL'), 'ftp://example.com/hook');
    await user.click(screen.getByRole('button', { name: 'Set webhook' }));
    await screen.findByText('url must be an http or https URL');
    expect(screen.getByLabelText('Endpoint URL').getAttribute('aria-invalid')).toBe('true');
    expect(calls).toEqual([]);
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('sends the trimmed URL and hands the secret to its parent', async () => {
    const calls = mockFetch({
      'PUT /api/settings/webhook': { status: 200, body: { ...SAVED, secret: SECRET } },
    });
    const onSaved = jest.fn();
    renderWithQueries(<WebhookForm current={null} onSaved={onSaved} />);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText('Endpoint URL'), `  ${SAVED.url}  `);
    await user.click(screen.getByRole('button', { name: 'Set webhook' }));
    await waitFor(() => {
      expect(onSaved).toHaveBeenCalledWith(SECRET);
    });
    expect(calls).toEqual([
      { method: 'PUT', url: '/api/settings/webhook', body: { url: SAVED.url } },
    ]);
  });

  it('shows the field error the API answers with', async () => {
    mockFetch({
      'PUT /api/settings/webhook': {
        status: 400,
        body: {
          statusCode: 400,
          code: 'validation_failed',
          message: 'Invalid',
          errors: [{ field: 'url', messages: ['url points at a private network'] }],
        },
      },
    });
    renderWithQueries(<WebhookForm current={null} onSaved={jest.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Endpoint URL'), 'http://10.0.0.1/hook');
    await user.click(screen.getByRole('button', { name: 'Set webhook' }));
    await screen.findByText('url points at a private network');
  });
});

describe('WebhookCard', () => {
  it('shows the signing secret once and drops it from the DOM when the dialog closes', async () => {
    mockFetch({
      'PUT /api/settings/webhook': { status: 200, body: { ...SAVED, secret: SECRET } },
    });
    renderWithQueries(<WebhookCard />);
    const user = userEvent.setup();

    // GET answers 404: no webhook yet, so the form is empty.
    const field = await screen.findByLabelText('Endpoint URL');
    await user.type(field, SAVED.url);
    await user.click(screen.getByRole('button', { name: 'Set webhook' }));

    const secretField = await screen.findByLabelText<HTMLInputElement>('Signing secret');
    expect(secretField.value).toBe(SECRET);
    expect(screen.getByText('This secret will not be shown again.')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'I have saved it' }));
    await waitFor(() => {
      expect(screen.queryByLabelText('Signing secret')).toBeNull();
    });
    expect(document.body.innerHTML).not.toContain(SECRET);
    // The card now offers what a set webhook can do.
    expect(screen.getByRole('button', { name: 'Rotate secret' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send test' })).toBeTruthy();
  });
});
