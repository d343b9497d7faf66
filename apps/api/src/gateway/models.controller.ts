import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { KeyAuth } from '../auth/auth.decorators.js';
import { CurrentKey } from '../auth/current-principal.decorator.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { ModelsService } from './models.service.js';

@ApiTags('guarded')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  /** Sent as built once per list (`ModelsService.availableJson`), not serialized per call. */
  @Get()
  @KeyAuth('models:read')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOkResponse({
    description: 'The models this key can use, in the OpenAI list format (ModelList)',
  })
  list(@CurrentKey() key: VerifiedKey): Promise<string> {
    return this.models.availableJson(key);
  }
}
