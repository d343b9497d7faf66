import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a secret kept in the data directory, creating it with a CSPRNG on first use. The file is
 * readable by its owner only (0600), and is reused on every start so tokens survive restarts.
 */
export function loadOrCreateSecret(
  dataDir: string,
  name: string,
  bytes = 48,
  format: (random: Buffer) => string = (random) => random.toString('base64url'),
): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, name);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode !== 0o600) chmodSync(path, 0o600);
    const value = readFileSync(path, 'utf8').trim();
    if (value.length < 32) {
      throw new Error(`${path} is shorter than 32 characters; delete it to generate a new one`);
    }
    return value;
  }
  const value = format(randomBytes(bytes));
  // 'wx' fails if another process created it meanwhile, so two replicas never disagree silently.
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}
