import { Controller, Get, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { WhoAmIResponse } from '@keyward/shared';
import { KeyAuth } from '../auth/auth.decorators.js';
import type { PrincipalRequest } from '../auth/principal.js';

@ApiTags('guarded')
@Controller('v1')
export class WhoAmIController {
  /** Which key is this? Needs no scope: any valid key may ask. */
  @Get('whoami')
  @KeyAuth()
  whoami(@Req() request: PrincipalRequest): WhoAmIResponse {
    const key = request.apiKey!;
    return { id: key.keyId, name: key.name, scopes: key.scopes };
  }
}
