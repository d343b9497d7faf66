import { Global, Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { KeyActivityRecorder } from './key-activity.recorder.js';
import { KeyCache } from './key-cache.js';
import { KeyVerificationService } from './key-verification.service.js';
import { WhoAmIController } from './whoami.controller.js';

/** Global: every feature's guarded routes verify keys through the same cache. */
@Global()
@Module({
  controllers: [ApiKeysController, WhoAmIController],
  providers: [ApiKeysService, KeyCache, KeyActivityRecorder, KeyVerificationService, ApiKeyGuard],
  exports: [KeyCache, KeyVerificationService, KeyActivityRecorder, ApiKeyGuard],
})
export class KeysModule {}
