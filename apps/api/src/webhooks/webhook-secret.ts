import { randomBytes } from 'node:crypto';
import {
  openSecret,
  sealSecret,
  type MasterKeys,
  type SealedSecret,
} from '../providers/crypto/envelope.js';

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a receiver's config. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** Binds the ciphertext to its owner: a secret copied to another user's row does not open. */
export const webhookSecretAad = (userId: string): Buffer =>
  Buffer.from(`keyward/webhook-secret/v1|${userId}`, 'utf8');

export const sealWebhookSecret = (keys: MasterKeys, userId: string, secret: string): SealedSecret =>
  sealSecret(secret, webhookSecretAad(userId), keys);

export const openWebhookSecret = (keys: MasterKeys, userId: string, sealed: SealedSecret): string =>
  openSecret(sealed, webhookSecretAad(userId), keys);
