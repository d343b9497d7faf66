/**
 * Removes a secret, and any recognisable fragment of it, from text a provider sent back. Providers
 * echo keys in errors ("Incorrect API key provided: sk-abc***wxyz"), sometimes partly masked.
 */
export function redactSecret(text: string, secret: string, maxLength = 2_048): string {
  // Cut first: the fragment search below is quadratic in the secret's length.
  let out = text.length > maxLength ? text.slice(0, maxLength) : text;
  if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // Any long run of the secret (8+ characters) is also removed, to catch partial echoes.
  for (let length = Math.min(secret.length - 1, 24); length >= 8; length -= 1) {
    for (let start = 0; start + length <= secret.length; start += 1) {
      const fragment = secret.slice(start, start + length);
      if (out.includes(fragment)) out = out.split(fragment).join('[redacted]');
    }
  }
  // Key-like tokens in general (sk-…, pplx-…, key_…): a provider may echo a different key.
  return out.replace(
    /\b(sk-[A-Za-z0-9_*-]{4,}|pplx-[A-Za-z0-9*]{4,}|key_[A-Za-z0-9*]{8,})/g,
    '[redacted]',
  );
}
