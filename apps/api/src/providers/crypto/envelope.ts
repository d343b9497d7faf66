import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(message = 'Credential could not be decrypted') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** A credential at rest: its secret under a data key, and the data key under a master key. */
export interface SealedSecret {
  /** nonce (12) | tag (16) | ciphertext of the secret under the data key */
  ciphertext: Buffer;
  /** nonce (12) | tag (16) | ciphertext of the data key under the master key */
  wrappedKey: Buffer;
  keyVersion: string;
}

export interface MasterKeys {
  current: string;
  keys: Record<string, Buffer>;
}

/**
 * What binds a ciphertext to its row: the owner, the credential id and the provider. A
 * ciphertext copied into another row (or another user's) fails authentication.
 */
export function associatedData(userId: string, credentialId: string, provider: string): Buffer {
  return Buffer.from(
    `keyward/provider-credential/v1|${userId}|${credentialId}|${provider}`,
    'utf8',
  );
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  // A fresh random 96-bit nonce per encryption; with a fresh data key per secret as well, a
  // nonce is never reused under one key.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new DecryptionError('Sealed value is truncated');
  }
  const decipher = createDecipheriv(ALGORITHM, key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(NONCE_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError();
  }
}

/** The data key's AAD also names the master key version, so a wrapped key cannot change version. */
const wrapAad = (aad: Buffer, version: string): Buffer =>
  Buffer.concat([aad, Buffer.from(`|master:${version}`)]);

function masterKey(keys: MasterKeys, version: string): Buffer {
  const key = keys.keys[version];
  if (!key) throw new DecryptionError(`Master key ${version} is not configured`);
  return key;
}

export function sealSecret(secret: string, aad: Buffer, keys: MasterKeys): SealedSecret {
  const dataKey = randomBytes(32);
  try {
    return {
      ciphertext: seal(dataKey, Buffer.from(secret, 'utf8'), aad),
      wrappedKey: seal(masterKey(keys, keys.current), dataKey, wrapAad(aad, keys.current)),
      keyVersion: keys.current,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Decrypts, or throws DecryptionError: never an empty or partial result. */
export function openSecret(sealed: SealedSecret, aad: Buffer, keys: MasterKeys): string {
  const dataKey = open(
    masterKey(keys, sealed.keyVersion),
    sealed.wrappedKey,
    wrapAad(aad, sealed.keyVersion),
  );
  try {
    return open(dataKey, sealed.ciphertext, aad).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps the data key under the current master key; the secret's ciphertext is untouched. */
export function rewrapSecret(sealed: SealedSecret, aad: Buffer, keys: MasterKeys): SealedSecret {
  if (sealed.keyVersion === keys.current) return sealed;
  const dataKey = open(
    masterKey(keys, sealed.keyVersion),
    sealed.wrappedKey,
    wrapAad(aad, sealed.keyVersion),
  );
  try {
    return {
      ciphertext: sealed.ciphertext,
      wrappedKey: seal(masterKey(keys, keys.current), dataKey, wrapAad(aad, keys.current)),
      keyVersion: keys.current,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** `sk-...1234`: the first three characters and the last four, never more. */
export function maskSecret(secret: string): string {
  if (secret.length < 12) return `...${secret.slice(-2)}`;
  return `${secret.slice(0, 3)}...${secret.slice(-4)}`;
}
