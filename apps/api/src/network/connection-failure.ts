/** What the operating system or TLS said, in words an operator can act on. */
const CAUSES: Record<string, string> = {
  ENOTFOUND: 'its host name could not be resolved',
  EAI_AGAIN: 'its host name could not be resolved for now',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  UND_ERR_SOCKET: 'the connection was closed',
  EHOSTUNREACH: 'its host is unreachable',
  ENETUNREACH: 'its network is unreachable',
  ETIMEDOUT: 'connecting timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate could not be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

/**
 * Why a connection failed, from the error's code or its causes' (undici wraps the socket's
 * error), as "the connection was refused (ECONNREFUSED)"; null when no code says. Codes only:
 * never the error's message, which may carry the address or a header.
 */
export function connectionFailure(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^[A-Z0-9_]{2,60}$/.test(code)) {
      const words = CAUSES[code];
      if (words) return `${words} (${code})`;
      // undici's own wrapper codes say less than the socket error beneath them.
      if (!code.startsWith('UND_ERR') || !cause) return code;
    }
    current = cause;
  }
  return null;
}
