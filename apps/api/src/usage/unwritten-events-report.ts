import type { Logger } from '@nestjs/common';
import { errorMessage } from '../common/error-message.js';
import {
  describeLoss,
  isOtherProcessAlive,
  RecorderStateFile,
  type RecorderState,
} from './recorder-state.js';

/** How often the state file may follow the buffer: what a SIGKILL report can miss. */
export const STATE_FILE_INTERVAL_MS = 250;

/** What the report needs to see of the recorder's buffer: its events in arrival order. */
export type BufferView = () => readonly { id: string; occurredAt: Date }[];

/**
 * Keeps the usage recorder's state file in step with its buffer, off the request path (a timer
 * rewrites it only when the buffer changed), and reports at start what a killed previous run of
 * the same slot left unwritten.
 */
export class UnwrittenEventsReport {
  private file: RecorderStateFile | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** The buffer as the file last described it (count, oldest and newest id). */
  private savedSignature = '';
  private writeFailed = false;
  /** Events a previous run of this slot received and never wrote, as its state file said. */
  lostAtPreviousStop = 0;

  constructor(
    private readonly path: string,
    private readonly buffer: BufferView,
    private readonly logger: Logger,
  ) {}

  /**
   * Reports what the previous run of this slot left unwritten, then claims the file and follows
   * the buffer (when recording is on). Synchronous: it runs once, before the server listens.
   */
  open(recording: boolean): void {
    const file = new RecorderStateFile(this.path);
    const previous = file.read();
    if (previous && isOtherProcessAlive(previous.pid)) {
      // Two live processes must not share one file; this one goes without rather than hide the
      // other's report.
      this.logger.warn(
        `${file.path} belongs to running process ${previous.pid}; set INSTANCE_ID to tell them apart`,
      );
      return;
    }
    const loss = previous && describeLoss(previous);
    if (previous && loss) {
      this.lostAtPreviousStop = previous.pending;
      this.logger.error(loss);
    }
    if (!recording) {
      file.remove();
      return;
    }
    try {
      file.writeSync(this.state());
      this.savedSignature = this.signature();
      this.file = file;
    } catch (error) {
      this.logger.warn(
        `Cannot keep ${file.path}, so a killed run would go unreported: ${errorMessage(error)}`,
      );
      return;
    }
    this.timer = setInterval(() => void this.save(), STATE_FILE_INTERVAL_MS);
    this.timer.unref();
  }

  /** A clean stop that wrote everything leaves no file; one that could not says how much. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const file = this.file;
    if (!file) return;
    await this.writing;
    this.file = undefined;
    try {
      if (this.buffer().length === 0) {
        file.remove();
      } else {
        file.writeSync(this.state());
      }
    } catch (error) {
      this.logger.warn(`Could not update ${file.path}: ${errorMessage(error)}`);
    }
  }

  /** Rewrites the file when the buffer changed since the last time; one write at a time. */
  private save(): Promise<void> {
    const file = this.file;
    if (!file || this.writing) return this.writing ?? Promise.resolve();
    const signature = this.signature();
    if (signature === this.savedSignature) return Promise.resolve();
    this.writing = file
      .write(this.state())
      .then(
        () => {
          this.savedSignature = signature;
          this.writeFailed = false;
        },
        (error: unknown) => {
          if (!this.writeFailed) {
            this.logger.warn(`Could not update ${file.path}: ${errorMessage(error)}`);
          }
          this.writeFailed = true;
        },
      )
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  private signature(): string {
    const events = this.buffer();
    return `${events.length}|${events[0]?.id ?? ''}|${events.at(-1)?.id ?? ''}`;
  }

  private state(): RecorderState {
    const events = this.buffer();
    return {
      pid: process.pid,
      pending: events.length,
      oldest: events[0]?.occurredAt.toISOString() ?? null,
      newest: events.at(-1)?.occurredAt.toISOString() ?? null,
      updatedAt: new Date().toISOString(),
    };
  }
}
