import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { formatCount } from '../../app/format';
import { Spinner } from '../../components/Feedback';
import { useAuditVerification } from './hooks';

/** Whether the log's hash chain verifies: every entry's hash covers the one before it. */
export function ChainBanner(): ReactElement {
  const verification = useAuditVerification();
  if (verification.isPending) {
    return (
      <div className="chain-banner chain-banner--pending">
        <Spinner label="Verifying the audit chain…" />
      </div>
    );
  }
  if (verification.isError) {
    return (
      <div className="chain-banner chain-banner--unknown" role="status">
        <span className="chain-banner__mark" aria-hidden="true">
          ?
        </span>
        <div>
          <p className="chain-banner__title">Could not verify the chain</p>
          <p className="chain-banner__text">{errorMessage(verification.error)}</p>
        </div>
      </div>
    );
  }
  const { intact, checked, firstBrokenSequence } = verification.data;
  if (intact) {
    return (
      <div className="chain-banner chain-banner--intact" role="status" data-testid="chain-banner">
        <span className="chain-banner__mark" aria-hidden="true">
          ✓
        </span>
        <div>
          <p className="chain-banner__title">
            Chain intact — {formatCount(checked)} {checked === 1 ? 'entry' : 'entries'} verified
          </p>
          <p className="chain-banner__text">
            Each entry carries a hash of the one before it, so no entry has been changed or removed.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="chain-banner chain-banner--broken" role="alert" data-testid="chain-banner">
      <span className="chain-banner__mark" aria-hidden="true">
        !
      </span>
      <div>
        <p className="chain-banner__title">
          Chain broken at entry #{firstBrokenSequence ?? 'unknown'}
        </p>
        <p className="chain-banner__text">
          That entry, or one before it, was changed or removed after it was written. Entries from
          there on cannot be trusted; tell your administrator.
        </p>
      </div>
    </div>
  );
}
