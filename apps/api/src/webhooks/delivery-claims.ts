import type { SecretColumns } from './webhooks.service.js';

/** A claimed delivery, with the notification it carries and where it goes. */
export interface ClaimedDelivery extends Partial<SecretColumns> {
  id: string;
  user_id: string;
  attempts: number;
  notification_id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  notification_created_at: Date | string;
  url: string | null;
}

/** Runs one statement and answers its rows, as a TypeORM DataSource does. */
export interface Querier {
  query(sql: string, parameters: unknown[]): Promise<unknown[]>;
}

export interface ClaimLimits {
  /** Deliveries to claim at most. */
  free: number;
  /** How long a claim holds its deliveries before another replica may take them again. */
  leaseSeconds: number;
  /** Deliveries of one user sending at once, counting those already under way. */
  perUser: number;
  /** Sends under way on this replica, per user. */
  sendingFor: ReadonlyMap<string, number>;
}

/**
 * Claims due deliveries and leases them (their next attempt pushed past the send's deadline) in
 * one statement. Each user's due deliveries are ranked after the ones already sending here, and
 * only those within the user's share are claimed.
 *
 * The row locks skip what another replica holds, and the locked rows are checked again for being
 * due: under READ COMMITTED, a row another replica claimed (or settled) and committed after this
 * statement's snapshot is no longer locked, so without that second check it would be claimed,
 * and sent, twice. PostgreSQL rechecks only the conditions written beside FOR UPDATE, not those
 * in the ranking subquery, so they are repeated there.
 */
export async function claimDueDeliveries(
  db: Querier,
  limits: ClaimLimits,
): Promise<ClaimedDelivery[]> {
  return (await db.query(
    `WITH claimed AS (
       UPDATE webhook_deliveries SET attempts = attempts + 1,
         next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE id IN (
           SELECT id FROM (
             SELECT d.id, COALESCE(s.count, 0)
                 + row_number() OVER (PARTITION BY d.user_id ORDER BY d.next_attempt_at) AS nth
             FROM webhook_deliveries d
             LEFT JOIN unnest($3::text[], $5::int[]) AS s(user_id, count) ON s.user_id = d.user_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= now()) due
           WHERE nth <= $4)
         AND status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1
         FOR UPDATE SKIP LOCKED)
       RETURNING id, user_id, attempts, notification_id)
     SELECT c.id, c.user_id, c.attempts, c.notification_id, n.kind, n.title, n.body, n.data,
       n.created_at AS notification_created_at, w.url, w.secret_ciphertext,
       w.secret_wrapped_key, w.key_version
     FROM claimed c
     JOIN notifications n ON n.id = c.notification_id
     LEFT JOIN webhooks w ON w.user_id = c.user_id`,
    [
      limits.free,
      limits.leaseSeconds,
      [...limits.sendingFor.keys()],
      limits.perUser,
      [...limits.sendingFor.values()],
    ],
  )) as ClaimedDelivery[];
}
