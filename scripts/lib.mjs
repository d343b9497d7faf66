// Small helpers shared by the start and test scripts (plain Node, no dependencies, so they run
// before anything is installed or built).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The packages in build order, each with what its build reads and what it writes. */
export const PACKAGES = [
  {
    name: '@keyward/shared',
    dir: 'libs/shared',
    inputs: ['src', 'package.json', 'tsconfig.json'],
    output: 'dist/index.js',
  },
  {
    name: '@keyward/api',
    dir: 'apps/api',
    inputs: ['src', 'package.json', 'tsconfig.build.json'],
    output: 'dist/main.js',
  },
  {
    name: '@keyward/web',
    dir: 'apps/web',
    inputs: ['src', 'public', 'index.html', 'package.json', 'vite.config.ts'],
    output: 'dist/index.html',
  },
];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** A package needs building when its output is missing or older than any of its inputs. */
export function isStale(pkg, rebuiltUpstream) {
  const output = join(ROOT, pkg.dir, pkg.output);
  if (!existsSync(output) || rebuiltUpstream) return true;
  const built = statSync(output).mtimeMs;
  return pkg.inputs.some((input) => newestMtime(join(ROOT, pkg.dir, input)) > built);
}

export function run(command, args, options = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolvePromise(127));
  });
}

/** Builds what is missing or out of date, in dependency order. */
export async function buildWhatIsMissing() {
  let rebuilt = false;
  for (const pkg of PACKAGES) {
    if (!isStale(pkg, rebuilt)) continue;
    process.stdout.write(`Building ${pkg.name}...\n`);
    const code = await run('pnpm', ['--filter', pkg.name, 'build']);
    if (code !== 0) throw new Error(`Building ${pkg.name} failed`);
    rebuilt = true;
  }
}

/** True when something accepts TCP connections at the URL's host and port. */
export function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 1500 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
