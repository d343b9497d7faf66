import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { LeaksController } from './leaks.controller.js';
import { LeaksService } from './leaks.service.js';

@Module({
  imports: [KeysModule],
  controllers: [LeaksController],
  providers: [LeaksService],
})
export class LeaksModule {}
