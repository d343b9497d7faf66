import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a running recorder last told its state file: how many events it had received but not yet
 * written, and when the oldest and newest of them arrived. A process killed without warning
 * (SIGKILL, out of memory, power loss) cannot say what it lost; the file it leaves behind can.
 */
export interface RecorderState {
  pid: number;
  pending: number;
  /** When the oldest and newest unwritten events happened (ISO), null when none wait. */
  oldest: string | null;
  newest: string | null;
  updatedAt: string;
}

export const STATE_DIR = 'usage-recorder';

/** The state file of one deployment slot; the id is validated by the configuration. */
export const stateFilePath = (dataDir: string, instanceId: string): string =>
  join(dataDir, STATE_DIR, `${instanceId}.json`);

/** Reads a state file's text; anything not shaped like one is treated as no report at all. */
export function parseRecorderState(text: string): RecorderState | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const { pid, pending, oldest, newest, updatedAt } = json as Record<string, unknown>;
  const isTime = (value: unknown): value is string =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value));
  if (
    !Number.isSafeInteger(pid) ||
    !Number.isSafeInteger(pending) ||
    (pending as number) < 0 ||
    !(oldest === null || isTime(oldest)) ||
    !(newest === null || isTime(newest)) ||
    !isTime(updatedAt)
  ) {
    return null;
  }
  return {
    pid: pid as number,
    pending: pending as number,
    oldest,
    newest,
    updatedAt,
  };
}

/**
 * The line logged at start for a state file a previous run left with events unwritten, or null
 * when it lost nothing. "Up to": events written in the last moments before the kill may still be
 * counted, since the file trails the buffer by at most one update.
 */
export function describeLoss(state: RecorderState): string | null {
  if (state.pending === 0) return null;
  const between =
    state.oldest && state.newest ? ` (received between ${state.oldest} and ${state.newest})` : '';
  return `The previous run stopped without writing up to ${state.pending} usage events${between}`;
}

/** Whether another live process holds this slot (a second start on the same host and port). */
export function isOtherProcessAlive(pid: number, ownPid = process.pid): boolean {
  if (pid === ownPid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process's state file, always replaced whole (write a temporary file, then rename), so a
 * kill mid-write leaves the previous state rather than half a file.
 */
export class RecorderStateFile {
  private readonly temporary: string;

  constructor(readonly path: string) {
    this.temporary = `${path}.${process.pid}.tmp`;
  }

  /** The state left by a previous run, if any. */
  read(): RecorderState | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    return parseRecorderState(text);
  }

  writeSync(state: RecorderState): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    writeFileSync(this.temporary, JSON.stringify(state));
    renameSync(this.temporary, this.path);
  }

  async write(state: RecorderState): Promise<void> {
    await writeFile(this.temporary, JSON.stringify(state));
    await rename(this.temporary, this.path);
  }

  /** A clean stop with nothing left unwritten leaves nothing to report. */
  remove(): void {
    rmSync(this.path, { force: true });
    rmSync(this.temporary, { force: true });
  }
}
