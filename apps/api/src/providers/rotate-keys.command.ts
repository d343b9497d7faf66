import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { DataSource } from 'typeorm';
import { errorMessage } from '../common/error-message.js';
import { loadConfig, parseMasterKeys, type AppConfig } from '../config/app-config.js';
import { createDataSourceOptions, runMigrations } from '../database/data-source.js';
import { countByKeyVersion, rotateMasterKey } from './master-key-rotation.js';

const USAGE = `Usage: pnpm rotate-keys [--new-key] [--retire VERSION] [--status]
  --new-key         (embedded key file only) add a new master key version and make it current
  (no option)       re-wrap every credential to the current master key, in resumable batches
  --retire VERSION  remove an unused version (embedded key file), or confirm it is unused
  --status          show how many credentials each version seals
  --batch-size N    credentials per committed batch (default 100)
  --max-batches N   stop after N batches (run again to resume)`;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function nextVersion(keys: AppConfig['providers']['masterKeys']): string {
  const numbers = Object.keys(keys.keys).map((version) =>
    Number(/^v(\d+)$/.exec(version)?.[1] ?? 0),
  );
  return `v${Math.max(0, ...numbers) + 1}`;
}

/**
 * The key file is the only copy of the master keys: write a sibling, flush it, keep the previous
 * file as `.previous`, then rename over, so a crash or a full disk never leaves it empty.
 */
function writeKeyFile(file: string, content: string): void {
  const next = `${file}.next`;
  const descriptor = openSync(next, 'w', 0o600);
  try {
    writeSync(descriptor, `${content}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  copyFileSync(file, `${file}.previous`);
  chmodSync(`${file}.previous`, 0o600);
  renameSync(next, file);
}

function numberOption(args: string[], name: string): number | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} takes a whole number above 0`);
  }
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    print(USAGE);
    return;
  }
  let config = loadConfig();
  const file = config.providers.masterKeyFile;

  if (args.includes('--new-key')) {
    if (!file) {
      throw new Error(
        '--new-key manages the embedded key file; with ENCRYPTION_KEYS, prepend a new version yourself',
      );
    }
    const version = nextVersion(config.providers.masterKeys);
    const existing = readFileSync(file, 'utf8').trim();
    writeKeyFile(file, `${version}:${randomBytes(32).toString('base64')},${existing}`);
    print(
      `Added master key ${version}. Restart the API so it seals with it, then run again without --new-key to re-wrap.`,
    );
    config = loadConfig();
  }

  const dataSource = new DataSource(createDataSourceOptions(config.database, 'maintenance'));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
    const keys = config.providers.masterKeys;
    const retire = args.includes('--retire') ? args[args.indexOf('--retire') + 1] : undefined;
    if (args.includes('--retire') && (!retire || retire.startsWith('--'))) {
      throw new Error('--retire needs the version to retire, e.g. --retire v1');
    }
    if (retire) {
      const counts = await countByKeyVersion(dataSource);
      if ((counts[retire] ?? 0) > 0) {
        throw new Error(`${counts[retire]} credentials still use ${retire}; rotate first`);
      }
      if (retire === keys.current) {
        throw new Error(`${retire} is the current key; add a newer one first`);
      }
      if (file) {
        const remaining = readFileSync(file, 'utf8')
          .trim()
          .split(',')
          .filter((pair) => !pair.startsWith(`${retire}:`));
        parseMasterKeys(remaining.join(','));
        writeKeyFile(file, remaining.join(','));
        print(`Retired ${retire} from ${file}.`);
      } else {
        print(`No credential uses ${retire}: remove it from ENCRYPTION_KEYS on every replica.`);
      }
    } else if (!args.includes('--status')) {
      const result = await rotateMasterKey(dataSource, keys, {
        batchSize: numberOption(args, '--batch-size'),
        maxBatches: numberOption(args, '--max-batches'),
        onBatch: (count) => {
          print(`  re-wrapped ${count} credentials so far`);
        },
      });
      print(`Re-wrapped ${result.rewrapped} credentials to ${keys.current}.`);
      if (result.failed.length > 0) {
        process.exitCode = 1;
        print(`Could not open (left as they were): ${result.failed.join(', ')}`);
      }
    }
    print('Credentials per master key version:');
    for (const [version, count] of Object.entries(await countByKeyVersion(dataSource))) {
      print(`  ${version}${version === keys.current ? ' (current)' : ''}: ${count}`);
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorMessage(error)}\n`);
  process.exit(1);
});
