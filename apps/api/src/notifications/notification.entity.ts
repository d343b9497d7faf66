import type { JsonObject } from '../database/json.js';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt } from '../database/timestamps.js';

@Entity('notifications')
export class Notification {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index()
  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'jsonb' })
  data!: JsonObject;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
