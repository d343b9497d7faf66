import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { WhoAmIResponse } from '@keyward/shared';
import { KeyAuth } from '../auth/auth.decorators.js';
import { CurrentKey } from '../auth/current-principal.decorator.js';
import type { VerifiedKey } from './verified-key.js';

@ApiTags('guarded')
@Controller('v1')
export class WhoAmIController {
  /** Which key is this? Needs no scope: any valid key may ask. */
  @Get('whoami')
  @KeyAuth()
  whoami(@CurrentKey() key: VerifiedKey): WhoAmIResponse {
    return { id: key.keyId, name: key.name, scopes: key.scopes };
  }
}
