import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultInstanceId } from '../config/app-config.js';
import {
  describeLoss,
  isOtherProcessAlive,
  parseRecorderState,
  RecorderStateFile,
  stateFilePath,
  type RecorderState,
} from './recorder-state.js';

const state = (overrides: Partial<RecorderState> = {}): RecorderState => ({
  pid: 4242,
  pending: 3,
  oldest: '2026-01-02T03:04:05.000Z',
  newest: '2026-01-02T03:04:06.500Z',
  updatedAt: '2026-01-02T03:04:06.600Z',
  ...overrides,
});

describe('parseRecorderState', () => {
  it('reads back what was written', () => {
    expect(parseRecorderState(JSON.stringify(state()))).toEqual(state());
    const empty = state({ pending: 0, oldest: null, newest: null });
    expect(parseRecorderState(JSON.stringify(empty))).toEqual(empty);
  });

  it('treats anything else as no state rather than failing the start', () => {
    for (const text of [
      '',
      '{"pid":1,"pending":3',
      'null',
      '[]',
      JSON.stringify({ ...state(), pending: -1 }),
      JSON.stringify({ ...state(), pending: 1.5 }),
      JSON.stringify({ ...state(), pending: '3' }),
      JSON.stringify({ ...state(), pid: undefined }),
      JSON.stringify({ ...state(), oldest: 'yesterday' }),
      JSON.stringify({ ...state(), updatedAt: null }),
    ]) {
      expect(parseRecorderState(text)).toBeNull();
    }
  });
});

describe('describeLoss', () => {
  it('names the count and the time range of what was lost', () => {
    expect(describeLoss(state())).toBe(
      'The previous run stopped without writing up to 3 usage events (received between 2026-01-02T03:04:05.000Z and 2026-01-02T03:04:06.500Z)',
    );
  });

  it('says nothing when nothing was waiting', () => {
    expect(describeLoss(state({ pending: 0, oldest: null, newest: null }))).toBeNull();
  });
});

describe('isOtherProcessAlive', () => {
  it('sees the test runner itself as alive, but never the caller', () => {
    expect(isOtherProcessAlive(process.pid, process.pid + 1)).toBe(true);
    expect(isOtherProcessAlive(process.pid)).toBe(false);
  });

  it('sees a process id nobody holds as gone', () => {
    // Above the usual pid_max (4194304), so no process can have it.
    expect(isOtherProcessAlive(2 ** 30)).toBe(false);
    expect(isOtherProcessAlive(0)).toBe(false);
  });
});

describe('defaultInstanceId', () => {
  it('is the host and port, with only file-name-safe characters', () => {
    expect(defaultInstanceId('api-7f9c', 3000)).toBe('api-7f9c-3000');
    expect(defaultInstanceId('we/ird host', 80)).toBe('we_ird_host-80');
    expect(defaultInstanceId('', 80)).toBe('host-80');
  });
});

describe('RecorderStateFile', () => {
  it('replaces the file whole, reads it back, and leaves nothing after remove', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-state-'));
    try {
      const file = new RecorderStateFile(stateFilePath(dir, 'host-3000'));
      expect(file.read()).toBeNull();
      file.writeSync(state({ pending: 0, oldest: null, newest: null }));
      await file.write(state());
      expect(file.read()).toEqual(state());
      // Only the state file: the temporary one was renamed over it.
      expect(readdirSync(join(dir, 'usage-recorder'))).toEqual(['host-3000.json']);
      file.remove();
      expect(existsSync(file.path)).toBe(false);
      expect(file.read()).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a damaged file as no state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-state-'));
    try {
      const file = new RecorderStateFile(stateFilePath(dir, 'x'));
      file.writeSync(state());
      writeFileSync(file.path, '{"pid":');
      expect(file.read()).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
