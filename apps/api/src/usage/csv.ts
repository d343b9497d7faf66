export type CsvValue = string | number | boolean | null;

/**
 * Spreadsheets run a cell that starts with one of these as a formula, so a user agent or route
 * written by whoever held a key could otherwise execute in the reader's spreadsheet (OWASP "CSV
 * injection"). Such text cells get a leading apostrophe, which spreadsheets show as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV cell (RFC 4180): numbers and booleans as they are, text defused and quoted as needed. */
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, ended with CRLF as RFC 4180 asks. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
