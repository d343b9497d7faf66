import { Inject, Injectable } from '@nestjs/common';
import type { ProviderId } from '@keyward/shared';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  associatedData,
  DecryptionError,
  openSecret,
  sealSecret,
  type MasterKeys,
  type SealedSecret,
} from './crypto/envelope.js';

export interface CredentialIdentity {
  id: string;
  userId: string;
  provider: ProviderId;
}

/** Seals and opens provider credentials with the configured master keys. */
@Injectable()
export class CredentialVault {
  readonly masterKeys: MasterKeys;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.masterKeys = config.providers.masterKeys;
  }

  seal(identity: CredentialIdentity, secret: string): SealedSecret {
    return sealSecret(secret, aadOf(identity), this.masterKeys);
  }

  /**
   * Only at the moment of an outbound call or a test. A failure is an error, never an empty
   * string that would be sent as a key.
   */
  open(identity: CredentialIdentity, sealed: SealedSecret): string {
    try {
      return openSecret(sealed, aadOf(identity), this.masterKeys);
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw new AppException(
          500,
          'decryption_failed',
          'This credential could not be decrypted; replace it',
        );
      }
      throw error;
    }
  }
}

export const aadOf = (identity: CredentialIdentity): Buffer =>
  associatedData(identity.userId, identity.id, identity.provider);
