/**
 * One read per key at a time: callers asking while one runs share its answer. A caller joins
 * only a read begun in the same generation (its cache bumps the generation on every eviction),
 * so an answer read before a change never reaches a caller who asked after it.
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, { generation: number; answer: Promise<V> }>();

  run(key: K, generation: number, read: () => Promise<V>): Promise<V> {
    const pending = this.running.get(key);
    if (pending?.generation === generation) return pending.answer;
    const flight = { generation, answer: read() };
    this.running.set(key, flight);
    const landed = (): void => {
      if (this.running.get(key) === flight) this.running.delete(key);
    };
    void flight.answer.then(landed, landed);
    return flight.answer;
  }
}
