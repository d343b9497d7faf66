import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SERVED_BY_HEADER } from '@keyward/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { CurrentKey } from '../auth/current-principal.decorator.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { parseChatRequest } from './chat/chat-request.js';
import { ChatService } from './chat.service.js';
import { GenerationAuth } from './generation-admission.guard.js';
import { guardedCall } from './guarded-call.js';

@ApiTags('guarded')
@Controller('v1/chat/completions')
export class ChatCompletionsController {
  constructor(private readonly chat: ChatService) {}

  /** OpenAI-compatible; the body is checked by the chat schema, not the DTO pipe, so unknown fields pass. */
  @Post()
  // The reply is sent by hand (@Res), so this only tells the OpenAPI document what it answers.
  @HttpCode(200)
  @GenerationAuth('generate')
  @ApiOperation({
    summary: 'Chat completions (OpenAI-compatible, streaming with stream: true)',
    description:
      'Model ids are provider/model. Optional `fallbacks` lists models to try when the first cannot serve. The `x-keyward-provider` header names who served the answer.',
  })
  @ApiBody({ schema: { type: 'object', required: ['model', 'messages'] } })
  async create(
    @CurrentKey() key: VerifiedKey,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const result = await this.chat.complete(
      guardedCall(key, request, reply),
      parseChatRequest(body),
    );
    void reply.header(SERVED_BY_HEADER, result.provider);
    if (result.kind === 'completion') {
      await reply.status(200).send(result.completion);
      return;
    }
    // A stream cut before its end is recorded when it closes (see app.factory's onSend).
    await reply
      .status(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(Readable.from(result.events));
  }
}
