import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersService } from './users.service.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@keyward.local';

/**
 * Makes sure a fresh install can be signed into: the first admin comes from ADMIN_EMAIL and
 * ADMIN_PASSWORD, or is created with a generated password that is printed once to the console
 * (not to the structured log, which may be shipped elsewhere).
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Admin');
  /** What start-up prints about signing in. */
  signInHint = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.admin.email ?? DEFAULT_ADMIN_EMAIL;
    if ((await this.users.countAdmins()) > 0) {
      this.signInHint = this.config.admin.email
        ? `Sign in as ${email} with ADMIN_PASSWORD.`
        : `Sign in with your admin account (the first start printed its password).`;
      return;
    }
    const existing = await this.users.findForSignIn(email);
    if (existing) {
      this.logger.warn(
        `No enabled admin exists; ${email} is a user account, promote one in the database`,
      );
      return;
    }
    const password = this.config.admin.password ?? randomBytes(15).toString('base64url');
    try {
      await this.users.create({ email, password, name: 'Administrator', role: 'admin' });
    } catch (error) {
      // Another replica starting at the same moment created it first: nothing to print here.
      if (error instanceof AppException && error.code === 'email_taken') {
        this.signInHint = `Sign in as ${email}.`;
        return;
      }
      throw error;
    }
    this.logger.log(`Created the first admin account ${email}`);
    if (this.config.admin.password) {
      this.signInHint = `Sign in as ${email} with ADMIN_PASSWORD.`;
      return;
    }
    this.signInHint = `Sign in as ${email} with the password printed above.`;
    process.stdout.write(
      `\n  First start: created admin ${email}\n  Password (shown once, change it after signing in): ${password}\n\n`,
    );
  }
}
