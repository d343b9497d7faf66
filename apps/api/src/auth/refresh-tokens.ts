import { hash, randomBytes } from 'node:crypto';

/** 256 random bits; the database keeps only the SHA-256. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}
