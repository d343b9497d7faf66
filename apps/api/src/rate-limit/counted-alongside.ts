/**
 * Counters another feature wants changed together with a rate-limit hit, and only when the hit
 * is admitted: the quota module's monthly request count, for one. The limiter applies them in
 * the same Redis call as the hit, or in process when the hit is counted in process.
 */
export interface CountedAlongside {
  shared: SharedCounterChanges;
  /** Applies the same changes to the in-process counters and returns the totals, in order. */
  locally(): number[];
}

export interface SharedCounterChanges {
  /** Full Redis keys. */
  keys: string[];
  /** Added to each key in order; 0 only reads it. */
  amounts: number[];
  /** Expiry given to a key the change creates. */
  ttlSeconds: number;
}
