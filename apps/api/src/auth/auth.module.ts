import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SlidingWindowThrottlerStorage } from '../rate-limit/throttler-storage.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LOGIN_BY_ACCOUNT, LOGIN_BY_IP, LoginThrottlerGuard } from './login-throttler.guard.js';
import { RolesGuard } from './roles.js';

@Module({
  imports: [
    UsersModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.auth.jwtSecret,
        signOptions: { algorithm: 'HS256', issuer: 'keyward' },
        verifyOptions: { algorithms: ['HS256'], issuer: 'keyward' },
      }),
    }),
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
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, JwtAuthGuard, RolesGuard, LoginThrottlerGuard],
  exports: [JwtAuthGuard, RolesGuard, AuthService],
})
export class AuthModule {}
