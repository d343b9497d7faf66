import { Inject, Injectable } from '@nestjs/common';
import type { ProviderId } from '@keyward/shared';
import { performance } from 'node:perf_hooks';
import { AppException } from '../common/app.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { errorText } from '../providers/adapters/provider-adapter.js';
import { CredentialLookup, type UsableCredential } from '../providers/credential-lookup.js';
import { baseUrlFor } from '../providers/provider-catalogue.js';
import { joinUrl } from '../providers/verification/provider-verifier.js';
import { redactSecret } from '../providers/verification/redact-secret.js';
import { QuotaService, type QuotaSlot } from '../quotas/quota.service.js';
import type { UsageDetails } from '../usage/usage-context.js';
import { isModelAllowed } from './allowed-models.js';
import { anthropicProtocol } from './chat/anthropic-protocol.js';
import { MalformedAnswer, type ChatProtocol } from './chat/chat-protocol.js';
import { textOf, type ChatRequest } from './chat/chat-request.js';
import { estimateTokens, type ChatCompletion } from './chat/chat-types.js';
import { openAiProtocol } from './chat/openai-protocol.js';
import { relayStream } from './chat/stream-relay.js';
import { costMicros, defaultChatModel, resolveChatModel, type ChatModel } from './chat-models.js';
import {
  allAttemptsFailed,
  attemptErrorCode,
  callerGone,
  hangUpCode,
  isCallersFault,
} from './upstream-failure.js';
import {
  parseJson,
  UpstreamClient,
  UpstreamRefused,
  UpstreamTooLarge,
  UpstreamUnreachable,
  type UpstreamAnswer,
} from './upstream-client.js';

/** One guarded request, as the gateway sees it. */
export interface GuardedCall {
  key: VerifiedKey;
  /** Filled in as the call goes; the response hook records it. */
  usage: UsageDetails;
  /** Aborted when the caller hangs up, which cancels the provider call too. */
  signal: AbortSignal;
  /** The plan count admission took for this request, if it took one. */
  quotaSlot?: QuotaSlot;
}

export type ChatResult =
  | { kind: 'completion'; provider: ProviderId; completion: ChatCompletion }
  | { kind: 'stream'; provider: ProviderId; events: AsyncGenerator<string> };

const PROTOCOLS: Record<ChatModel['endpoint']['protocol'], ChatProtocol> = {
  openai: openAiProtocol,
  anthropic: anthropicProtocol,
};

/** A failed attempt worth trying elsewhere. */
const RETRY = Symbol('retry');

/**
 * Serves chat through the owner's stored credentials: the requested model first, then the
 * caller's `fallbacks` or the owner's provider order, each attempt recorded.
 */
@Injectable()
export class ChatService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly upstream: UpstreamClient,
    private readonly credentials: CredentialLookup,
    private readonly quotas: QuotaService,
  ) {}

  async complete(call: GuardedCall, request: ChatRequest): Promise<ChatResult> {
    const primary = this.allowedModel(call.key, request.model);
    const named = request.fallbacks?.map((id, index) =>
      this.allowedModel(call.key, id, `fallbacks.${index}`),
    );
    // Kept on the call: its cost is added to the month this slot was counted in.
    call.quotaSlot ??= await this.quotas.take(call.key);
    const slot = call.quotaSlot;
    await this.quotas.admit(slot);
    call.usage.billable = true;
    try {
      return await this.firstServed(call, request, primary, named);
    } catch (error) {
      // A request nobody served is not one of the plan's requests.
      call.usage.billable = false;
      await this.quotas.giveBack(slot);
      throw error;
    }
  }

  private async firstServed(
    call: GuardedCall,
    request: ChatRequest,
    primary: ChatModel,
    named: ChatModel[] | undefined,
  ): Promise<ChatResult> {
    const stream = request.stream === true;
    const tried = new Set<string>();
    for await (const model of this.candidates(call.key, primary, named)) {
      if (tried.has(model.id)) continue;
      tried.add(model.id);
      const result = await this.attempt(call, request, model, stream, model === primary);
      if (result !== RETRY) return result;
    }
    if (call.signal.aborted) throw callerGone(call.signal);
    throw allAttemptsFailed(call.usage.attempts, primary.id);
  }

  private allowedModel(key: VerifiedKey, id: string, field = 'model'): ChatModel {
    const model = resolveChatModel(id, field);
    if (!isModelAllowed(key.allowedModels, model.id)) {
      throw new AppException(
        403,
        'model_not_allowed',
        `This API key may not use ${model.id}; its allowed models are ${key.allowedModels.join(', ')}`,
      );
    }
    return model;
  }

  /**
   * The requested model, then the caller's fallbacks, or else the first chat model of each
   * provider in the owner's order. The order is read only when the first choice failed.
   */
  private async *candidates(
    key: VerifiedKey,
    primary: ChatModel,
    named: ChatModel[] | undefined,
  ): AsyncGenerator<ChatModel> {
    yield primary;
    if (named) {
      yield* named;
      return;
    }
    const order = await this.credentials.preferredOrder(key.userId, 'chat');
    for (const provider of order) {
      if (provider === primary.provider) continue;
      const model = defaultChatModel(provider);
      if (model && isModelAllowed(key.allowedModels, model.id)) yield model;
    }
  }

  private async attempt(
    call: GuardedCall,
    request: ChatRequest,
    model: ChatModel,
    stream: boolean,
    isPrimary: boolean,
  ): Promise<ChatResult | typeof RETRY> {
    const started = performance.now();
    const record = (status: number | null, errorCode: string | null, failure?: unknown): void => {
      const cause = failure instanceof UpstreamUnreachable ? failure.why : null;
      call.usage.attempts.push({
        provider: model.provider,
        model: model.id,
        status,
        errorCode,
        latencyMs: Math.round(performance.now() - started),
        ...(cause === null ? {} : { cause }),
      });
    };
    const protocol = PROTOCOLS[model.endpoint.protocol];
    let body: unknown;
    try {
      body = protocol.buildRequest(request, model.upstreamName, stream);
    } catch (error) {
      // What the first choice cannot carry is the caller's problem; a fallback is just skipped.
      if (isPrimary) throw error;
      record(null, 'unsupported_request');
      return RETRY;
    }
    let credential: UsableCredential | null;
    try {
      credential = await this.credentials.usable(call.key.userId, model.provider);
    } catch (error) {
      // Sealed under a master key this process does not hold (a rotation rolling out across
      // replicas) or damaged: the next candidate can still serve.
      if (!(error instanceof AppException && error.code === 'decryption_failed')) throw error;
      record(null, 'credential_unreadable');
      return RETRY;
    }
    if (!credential) {
      record(null, 'no_credential');
      return RETRY;
    }
    let answer: UpstreamAnswer;
    try {
      answer = await this.upstream.post({
        url: joinUrl(baseUrlFor(this.config, model.provider), model.endpoint.path),
        headers: {
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          'user-agent': 'Keyward/0.1',
          ...model.adapter.authHeaders(credential.apiKey),
        },
        body: JSON.stringify(body),
        signal: call.signal,
      });
    } catch (error) {
      if (call.signal.aborted) {
        record(null, hangUpCode(call.signal));
        throw callerGone(call.signal);
      }
      record(
        null,
        error instanceof UpstreamRefused
          ? 'upstream_refused'
          : error instanceof UpstreamUnreachable && error.timedOut
            ? 'upstream_timeout'
            : 'upstream_unreachable',
        error,
      );
      return RETRY;
    }

    if (answer.status < 200 || answer.status >= 300) {
      let parsed: unknown = null;
      try {
        parsed = parseJson(await this.upstream.readAll(answer));
      } catch {
        // The status alone decides.
      }
      const code = attemptErrorCode(model.adapter, answer.status, parsed);
      record(answer.status, code);
      if (isCallersFault(model.adapter, answer.status, parsed)) {
        const detail = redactSecret(
          errorText(parsed).replace(/\s+/g, ' ').trim(),
          credential.apiKey,
        );
        throw new AppException(
          answer.status,
          'upstream_rejected',
          `${model.adapter.info.name} refused the request${detail ? `: ${detail.slice(0, 300)}` : ''}`,
        );
      }
      return RETRY;
    }

    const promptChars = request.messages.reduce((sum, m) => sum + textOf(m.content).length, 0);
    if (stream) {
      if (!String(answer.headers['content-type'] ?? '').includes('text/event-stream')) {
        await this.upstream.discard(answer);
        record(answer.status, 'upstream_malformed');
        return RETRY;
      }
      record(answer.status, null);
      this.served(call, model);
      const events = relayStream({
        answer,
        protocol,
        modelId: model.id,
        includeUsage: request.stream_options?.include_usage === true,
        promptChars,
        signal: call.signal,
        onEnd: (usage, failure) => {
          this.charge(call, model, usage.inputTokens, usage.outputTokens);
          if (failure) call.usage.errorCode = failure;
        },
      });
      return { kind: 'stream', provider: model.provider, events };
    }

    let completion: ChatCompletion;
    let usage: { inputTokens: number; outputTokens: number } | null;
    try {
      ({ completion, usage } = protocol.readCompletion(
        parseJson(await this.upstream.readAll(answer)),
        model.id,
      ));
    } catch (error) {
      if (call.signal.aborted) {
        record(answer.status, hangUpCode(call.signal));
        throw callerGone(call.signal);
      }
      record(
        answer.status,
        error instanceof UpstreamTooLarge
          ? 'upstream_too_large'
          : error instanceof UpstreamUnreachable
            ? error.timedOut
              ? 'upstream_timeout'
              : 'upstream_unreachable'
            : error instanceof MalformedAnswer
              ? 'upstream_malformed'
              : 'upstream_error',
        error,
      );
      return RETRY;
    }
    record(answer.status, null);
    this.served(call, model);
    const counted = usage ?? {
      inputTokens: estimateTokens(promptChars),
      outputTokens: estimateTokens(
        completion.choices.reduce((sum, c) => sum + (c.message.content?.length ?? 0), 0),
      ),
    };
    completion.usage ??= {
      prompt_tokens: counted.inputTokens,
      completion_tokens: counted.outputTokens,
      total_tokens: counted.inputTokens + counted.outputTokens,
    };
    this.charge(call, model, counted.inputTokens, counted.outputTokens);
    return { kind: 'completion', provider: model.provider, completion };
  }

  private served(call: GuardedCall, model: ChatModel): void {
    call.usage.provider = model.provider;
    call.usage.model = model.id;
  }

  private charge(
    call: GuardedCall,
    model: ChatModel,
    inputTokens: number,
    outputTokens: number,
  ): void {
    const cost = costMicros(model.info, inputTokens, outputTokens);
    call.usage.inputTokens = inputTokens;
    call.usage.outputTokens = outputTokens;
    call.usage.costMicros = cost;
    // complete() has given every served call its slot.
    if (call.quotaSlot) void this.quotas.addCost(call.key, cost, call.quotaSlot.period);
  }
}
