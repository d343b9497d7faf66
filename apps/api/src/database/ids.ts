import { ulid } from 'ulid';

/** Prefixes make an id's kind obvious in logs and support tickets; ULIDs keep them sortable. */
export type IdPrefix =
  'usr' | 'ses' | 'rt' | 'key' | 'ksv' | 'pk' | 'aud' | 'ntf' | 'req' | 'upg' | 'whd';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}
