/**
 * Whether a command failed before it was written: the client found its connection gone and, with
 * no offline queue, refused it at once. Redis never saw it, unlike a command that timed out or
 * whose connection dropped while it was out, which may have run.
 */
export function wasRefusedUnwritten(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("Stream isn't writeable");
}
