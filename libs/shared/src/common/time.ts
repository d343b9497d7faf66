/** Milliseconds in a day: retention, expiry and usage periods are counted in whole UTC days. */
export const DAY_MS = 86_400_000;
