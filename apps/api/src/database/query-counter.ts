import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * Counts every statement this process sends to the database (transaction control included),
 * for the metrics endpoint and the benchmark's "statements per request" figures. TypeORM hands
 * each query to its logger; this one only counts, so it costs an increment per query.
 */
export class QueryCounter implements TypeOrmLogger {
  static count = 0;

  logQuery(): void {
    QueryCounter.count += 1;
  }
  logQueryError(): void {
    // Failed queries were counted when they were sent.
  }
  logQuerySlow(): void {
    // Not measured here.
  }
  logSchemaBuild(): void {
    // Never used: the schema comes from migrations.
  }
  logMigration(): void {
    // Migrations report through the application's own logger.
  }
  log(): void {
    // TypeORM's informational messages are not needed.
  }
}
