import type { UpgradeStatus } from '@keyward/shared';
import type { PageParams } from '../../api/client';

/**
 * The admin pages' cached queries, in one place: a change on one page (a user's plan) settles
 * what another shows (that user's pending plan request).
 */
export const adminUsersQueryKeys = {
  all: ['admin', 'users'] as const,
  page: (params: PageParams) => ['admin', 'users', params] as const,
};

export const adminUpgradeQueryKeys = {
  all: ['admin', 'upgrade-requests'] as const,
  list: (status: UpgradeStatus | undefined) => ['admin', 'upgrade-requests', status] as const,
};

export const adminPlansQueryKeys = {
  all: ['admin', 'plans'] as const,
};
