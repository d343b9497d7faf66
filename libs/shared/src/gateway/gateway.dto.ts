import { IsNumber, IsString, Max, MaxLength, Min, MinLength, IsInt } from 'class-validator';
import { Optional } from '../common/optional.js';

/** `POST /v1/models/:id/generate`: one prompt in, text out. */
export class GenerateRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(200_000)
  prompt!: string;

  @Optional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxTokens?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
}

export interface GenerateResponse {
  id: string;
  model: string;
  provider: string;
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** Integer micro-dollars. */
  cost: number;
}

/** The header naming the provider that served a guarded request. */
export const SERVED_BY_HEADER = 'x-keyward-provider';
