import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiQueryFrom } from '../openapi.js';
import {
  ListAuditQuery,
  type AuditEventResponse,
  type AuditVerifyResponse,
  type Page,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The caller's own events; admins signed in to the console see all. */
  @Get()
  @ConsoleAuth('audit:read')
  @ApiQueryFrom(ListAuditQuery)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAuditQuery,
  ): Promise<Page<AuditEventResponse>> {
    return this.audit.list(principal, query);
  }

  /** Whether the hash chain over the whole log is intact. */
  @Get('verify')
  @ConsoleAuth('audit:read')
  verify(): Promise<AuditVerifyResponse> {
    return this.audit.verify();
  }
}
