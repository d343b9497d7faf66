import { Global, Module } from '@nestjs/common';
import { UsageRecorder } from './usage-recorder.js';

/** Global: the response hook in app.factory records every guarded request through it. */
@Global()
@Module({ providers: [UsageRecorder], exports: [UsageRecorder] })
export class UsageRecordingModule {}
