import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SecretField } from './SecretField';

const SECRET = 'kw_live_0123456789abcdefghijklmnopqrstuv';

function clipboardThat(writeText: (text: string) => Promise<void>): void {
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: { writeText },
  });
}

describe('SecretField', () => {
  afterEach(() => {
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
  });

  it('copies the secret and says so', async () => {
    const writeText = jest.fn<(text: string) => Promise<void>>(() => Promise.resolve());
    const user = userEvent.setup();
    clipboardThat(writeText);
    render(<SecretField label="API key" value={SECRET} noun="key" testId="revealed-key" />);

    expect(screen.getByLabelText<HTMLInputElement>('API key').value).toBe(SECRET);
    await user.click(screen.getByRole('button', { name: 'Copy' }));

    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('Copied to the clipboard.');
  });

  it('selects the secret for a manual copy when the clipboard is refused', async () => {
    const user = userEvent.setup();
    clipboardThat(() => Promise.reject(new Error('NotAllowedError')));
    render(<SecretField label="Signing secret" value={SECRET} noun="secret" testId="s" />);

    await user.click(screen.getByRole('button', { name: 'Copy' }));

    const input = screen.getByLabelText<HTMLInputElement>('Signing secret');
    expect(await screen.findByText(/the secret is selected, copy it now/)).toBeTruthy();
    expect(input.selectionStart).toBe(0);
    expect(input.selectionEnd).toBe(SECRET.length);
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
  });
});
