import { CreateDateColumn, UpdateDateColumn } from 'typeorm';

/** Column helpers so every table writes time the same way. */
export const CreatedAt = (): PropertyDecorator =>
  CreateDateColumn({ name: 'created_at', type: 'timestamptz' });
export const UpdatedAt = (): PropertyDecorator =>
  UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' });
