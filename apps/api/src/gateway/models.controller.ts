import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { KeyAuth } from '../auth/auth.decorators.js';
import { CurrentKey } from '../auth/current-principal.decorator.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { ModelsService, type ModelList } from './models.service.js';

@ApiTags('guarded')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @KeyAuth('models:read')
  list(@CurrentKey() key: VerifiedKey): Promise<ModelList> {
    return this.models.available(key);
  }
}
