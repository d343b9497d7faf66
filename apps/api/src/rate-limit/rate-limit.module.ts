import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { LOGIN_BY_ACCOUNT, LOGIN_BY_IP } from '../auth/login-throttler.guard.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimiterService } from './rate-limiter.service.js';
import { SlidingWindowThrottlerStorage } from './throttler-storage.js';

/**
 * One limiter for the process. @nestjs/throttler runs the sign-in throttlers on top of it; the
 * per-key limits (KeyRateLimitGuard, and GenerationAdmissionGuard for generation routes) call
 * the limiter directly.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, RateLimiterService],
      useFactory: (config: AppConfig, limiter: RateLimiterService) => ({
        throttlers: [
          { name: LOGIN_BY_IP, ttl: 60_000, limit: config.auth.loginMaxPerIpPerMinute },
          {
            name: LOGIN_BY_ACCOUNT,
            ttl: 15 * 60_000,
            limit: config.auth.loginMaxPerAccountPer15Minutes,
          },
        ],
        storage: new SlidingWindowThrottlerStorage(limiter),
      }),
    }),
  ],
  providers: [RateLimiterService],
  exports: [RateLimiterService],
})
export class RateLimitModule {}
