import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { GenerateRequest, SERVED_BY_HEADER, type GenerateResponse } from '@keyward/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentKey } from '../auth/current-principal.decorator.js';
import { notFound } from '../common/app.exception.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { ChatService } from './chat.service.js';
import { GenerationAuth } from './generation-admission.guard.js';
import { guardedCall } from './guarded-call.js';

const SUFFIX = '/generate';

@ApiTags('guarded')
@Controller('v1/models')
export class GenerateController {
  constructor(private readonly chat: ChatService) {}

  /**
   * Model ids hold slashes (`openai/gpt-4o-mini`, `deepinfra/meta-llama/…`), so the route takes
   * the rest of the path; an encoded id (`openai%2Fgpt-4o-mini`) works as well.
   */
  @Post('*')
  // The reply is sent by hand (@Res), so this only tells the OpenAPI document what it answers.
  @HttpCode(200)
  @GenerationAuth('generate')
  @ApiOperation({
    summary: 'Generate text from one prompt: POST /v1/models/{provider/model}/generate',
  })
  @ApiParam({
    name: 'path',
    description:
      'The model id (provider/model, its slashes as they are or encoded) followed by /generate',
    example: 'openai/gpt-4o-mini/generate',
  })
  async generate(
    @CurrentKey() key: VerifiedKey,
    @Param('*') path: string | undefined,
    @Body() body: GenerateRequest,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const rest = path ?? '';
    if (!rest.endsWith(SUFFIX) || rest.length === SUFFIX.length) throw notFound('Route');
    const model = decodeURIComponent(rest.slice(0, -SUFFIX.length));
    const call = guardedCall(key, request, reply);
    const result = await this.chat.complete(call, {
      model,
      messages: [{ role: 'user', content: body.prompt }],
      ...(body.maxTokens === undefined ? {} : { max_tokens: body.maxTokens }),
      ...(body.temperature === undefined ? {} : { temperature: body.temperature }),
    });
    if (result.kind !== 'completion') throw new Error('generate never streams');
    const { completion } = result;
    const answer: GenerateResponse = {
      id: completion.id,
      model: completion.model,
      provider: result.provider,
      text: completion.choices[0]?.message.content ?? '',
      // What Keyward counted, which is what the provider reported when that was sane.
      usage: { inputTokens: call.usage.inputTokens, outputTokens: call.usage.outputTokens },
      cost: call.usage.costMicros,
    };
    await reply.header(SERVED_BY_HEADER, result.provider).status(200).send(answer);
  }
}
