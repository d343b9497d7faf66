import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { LeakReportResult } from '@keyward/shared';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { rateLimitedError } from '../rate-limit/rate-limit.headers.js';
import { assertTrustedReport } from './leak-signature.js';
import { LeaksService } from './leaks.service.js';

const REPORTS_PER_IP_PER_MINUTE = 30;

/** Where secret scanners (GitHub's partner program, or any other) report leaked Keyward keys. */
@ApiTags('leaks')
@Controller('api/leaks')
export class LeaksController {
  constructor(
    private readonly leaks: LeaksService,
    private readonly limiter: RateLimiterService,
  ) {}

  @Post()
  @HttpCode(200)
  async report(
    @Req() request: FastifyRequest & { rawBody?: Buffer },
    @Body() body: unknown,
  ): Promise<LeakReportResult[]> {
    const decision = await this.limiter.hit(
      `leaks:${request.ip}`,
      REPORTS_PER_IP_PER_MINUTE,
      60_000,
    );
    if (!decision.allowed) throw rateLimitedError(decision, 'Too many reports from this address');
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    assertTrustedReport(this.leaks.config.leaks, request.rawBody, {
      keyIdentifier: header('github-public-key-identifier'),
      signature: header('github-public-key-signature'),
      authorization: header('authorization'),
    });
    if (body === undefined) {
      throw new AppException(400, 'invalid_leak_report', 'The report is empty');
    }
    return this.leaks.handleReport(body, request.ip);
  }
}
