/** One entry of a secret-scanning report, as GitHub's partner program sends it. */
export interface LeakReportEntry {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** GitHub's expected answer: one label per reported token. */
export interface LeakReportResult {
  token_raw: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}
