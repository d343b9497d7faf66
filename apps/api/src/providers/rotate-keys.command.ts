import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig, parseMasterKeys, type AppConfig } from '../config/app-config.js';
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
    writeFileSync(file, `${version}:${randomBytes(32).toString('base64')},${existing}\n`, {
      mode: 0o600,
    });
    print(
      `Added master key ${version}; new credentials are sealed with it. Run again without --new-key to re-wrap.`,
    );
    config = loadConfig();
  }

  const dataSource = new DataSource(createDataSourceOptions(config.database));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
    const keys = config.providers.masterKeys;
    const retire = args[args.indexOf('--retire') + 1];
    if (args.includes('--retire') && retire) {
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
        writeFileSync(file, `${remaining.join(',')}\n`, { mode: 0o600 });
        print(`Retired ${retire} from ${file}.`);
      } else {
        print(`No credential uses ${retire}: remove it from ENCRYPTION_KEYS on every replica.`);
      }
    } else if (!args.includes('--status')) {
      const done = await rotateMasterKey(dataSource, keys, {
        batchSize: numberOption(args, '--batch-size'),
        maxBatches: numberOption(args, '--max-batches'),
        onBatch: (count) => {
          print(`  re-wrapped ${count} credentials so far`);
        },
      });
      print(`Re-wrapped ${done} credentials to ${keys.current}.`);
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
  process.stderr.write(
    `${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
