/**
 * Keyward keys look like `kw_<32 base62 random><6 base62 CRC32 checksum>`. The prefix is 1-12
 * lowercase letters or digits. Secret scanners can match this expression, and the checksum lets
 * anyone reject a mistyped key without asking the server.
 */
export const API_KEY_PATTERN = /^([a-z0-9]{1,12})_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
export const API_KEY_PREFIX_PATTERN = /^[a-z0-9]{1,12}$/;
export const DEFAULT_API_KEY_PREFIX = 'kw';
