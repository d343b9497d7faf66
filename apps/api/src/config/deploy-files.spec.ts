import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from './app-config.js';
import { envSchema } from './env.schema.js';

/**
 * Keeps the deployment files honest against the code: docker-compose.yml may set only variables
 * the API reads, must wire identical API replicas to their own services behind a load balancer
 * whose nginx config matches them, and must never hold a secret; the Dockerfile must start the
 * entry the API build produces, with the console build where the API looks for it. Checks collect
 * problems into lists, so a failure names what is wrong.
 */

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const readRootFile = (name: string): string => readFileSync(`${ROOT}${name}`, 'utf8');

const API_ENTRY = 'apps/api/dist/main.js';
/** Mirrors DEFAULT_WEB_DIST in app-config.ts (relative to apps/api/dist/config). */
const WEB_DIST_FROM_API_CONFIG_DIR = '../../../web/dist';
const SECRET_NAMES = ['JWT_SECRET', 'ADMIN_PASSWORD', 'ENCRYPTION_KEYS'];
const isSecretName = (name: string): boolean =>
  SECRET_NAMES.includes(name) || /(^|_)(SECRET|PASSWORD|PASSPHRASE|TOKEN|KEYS?)$/.test(name);
/** Values for what compose requires (`${NAME:?...}`) and .env.example leaves blank. */
const STAND_INS: Record<string, string> = {
  POSTGRES_PASSWORD: 'stand-in-postgres-password',
  JWT_SECRET: 'stand-in-jwt-secret-that-is-long-enough-0123456789',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'stand-in-admin-password',
  ENCRYPTION_KEYS: `v1:${Buffer.alloc(32, 7).toString('base64')}`,
};

// ---- docker-compose.yml --------------------------------------------------------------------

type YamlMap = Record<string, unknown>;

function asMap(value: unknown, what: string): YamlMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`docker-compose.yml: ${what} should be a mapping`);
  }
  return value as YamlMap;
}

/** A scalar's text as compose reads it (numbers and booleans written out); anything else throws. */
function scalarText(value: unknown, what: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new Error(`docker-compose.yml: ${what} should be a string, number or boolean`);
}

/** `environment` in map or list form; null means "passed through from the host". */
function environmentOf(service: YamlMap): Record<string, string | null> {
  const environment = service['environment'] ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((entry) => String(entry).split(/=(.*)/s))
    : Object.entries(asMap(environment, 'environment'));
  return Object.fromEntries(
    entries.map(([name, value]) => [
      name,
      value === null || value === undefined ? null : scalarText(value, `environment.${name}`),
    ]),
  );
}

const INTERPOLATION = /\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g;

/** Compose's variable substitution, with `vars` in the part of .env. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    INTERPOLATION,
    (match, braced?: string, operator?: string, operand?: string, bare?: string) => {
      if (match === '$$') {
        return '$';
      }
      const name = braced ?? bare ?? '';
      const current = vars[name];
      if (operator?.startsWith(':') ? Boolean(current) : current !== undefined) {
        return current ?? '';
      }
      if (operator?.endsWith('?')) {
        throw new Error(`${name} is required by docker-compose.yml: add a value to STAND_INS`);
      }
      return operator?.endsWith('-') ? (operand ?? '') : '';
    },
  );
}

/** A secret may arrive only by interpolation, and never with a non-empty default. */
const isInterpolatedSecret = (value: string | null): boolean =>
  value === null || /^\$\{\w+(:?\?[^}]*|:?-)?\}$/.test(value);

/** The password in `scheme://user:password@host`, split outside `${...}`; null if none. */
function urlPassword(raw: string): string | null {
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@[^@]*$/i.exec(raw)?.[1] ?? '';
  let depth = 0;
  // By UTF-16 index, the unit slice() counts in: only ASCII `{`, `}` and `:` matter here.
  for (let index = 0; index < userInfo.length; index += 1) {
    const char = userInfo.charAt(index);
    depth += char === '{' ? 1 : char === '}' ? -1 : 0;
    if (char === ':' && depth === 0) {
      return userInfo.slice(index + 1);
    }
  }
  return null;
}

function healthcheckCommand(service: YamlMap): string {
  const healthcheck = asMap(service['healthcheck'] ?? { disable: true }, 'healthcheck');
  const test = healthcheck['disable'] === true ? [] : (healthcheck['test'] ?? []);
  const words: unknown[] = Array.isArray(test) ? test : [test];
  return words
    .map((word) => scalarText(word, 'healthcheck.test'))
    .join(' ')
    .replace(/^NONE$/, '');
}

const shortOrLong = (entry: unknown, key: string, index: number): string =>
  typeof entry === 'object' && entry !== null
    ? String(asMap(entry, key)[key])
    : (String(entry).split(':').at(index) ?? '');

interface ExampleLine {
  value: string;
  /** `# NAME=value`: documents the default compose uses when .env leaves NAME out. */
  commented: boolean;
}

/** .env.example: every `NAME=value` line, commented out or not. */
const envExample = (): Map<string, ExampleLine> =>
  new Map(
    readRootFile('.env.example')
      .split(/\r?\n/)
      .flatMap((line) => {
        const match = /^(#?)\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        return match
          ? [[match[2] ?? '', { value: match[3] ?? '', commented: match[1] === '#' }] as const]
          : [];
      }),
  );

const composeText = readRootFile('docker-compose.yml');
// Compose resolves `<<: *anchor` merge keys; YAML 1.2 parsers leave them off unless asked.
const services = asMap(
  asMap(parseYaml(composeText, { merge: true }), 'the file')['services'],
  'services',
);
const service = (name: string): YamlMap => asMap(services[name], `services.${name}`);
const api = (): YamlMap => service('api');
const dependsOn = (name = 'api'): YamlMap =>
  asMap(service(name)['depends_on'], `services.${name}.depends_on (long form)`);
/** The API replicas: every service running the api's image (the first is `api`). */
const replicas = (): string[] =>
  Object.keys(services).filter((name) => service(name)['image'] === api()['image']);
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const publishers = (): string[] =>
  Object.keys(services).filter((name) => listOf(service(name)['ports']).length > 0);
/** The one service publishing a port, which must be the nginx load balancer. */
const loadBalancer = (): string => {
  const [name, ...others] = publishers();
  if (!name || others.length > 0 || !String(service(name)['image']).startsWith('nginx:')) {
    throw new Error(`docker-compose.yml: expected one nginx service publishing ports, got ${name}`);
  }
  return name;
};
const publishedTargets = (name: string): number[] =>
  listOf(service(name)['ports']).map((port) =>
    Number(shortOrLong(port, 'target', -1).split('/')[0]),
  );

/** What a service's environment becomes with the stand-ins (and any value .env.example fills in). */
function resolvedEnvironment(name: string): Record<string, string> {
  const vars = {
    ...STAND_INS,
    ...Object.fromEntries(
      [...envExample()].flatMap(([key, { value, commented }]) =>
        commented || !value ? [] : [[key, value]],
      ),
    ),
  };
  return Object.fromEntries(
    Object.entries(environmentOf(service(name))).map(([key, value]) => [
      key,
      interpolate(value ?? '', vars),
    ]),
  );
}

const apiPort = (): number => {
  const port = resolvedEnvironment('api')['PORT'] || dockerfileEnv()['PORT'];
  return envSchema.shape.PORT.parse(port || undefined);
};

// ---- the load balancer's nginx config --------------------------------------------------------

interface Directive {
  name: string;
  args: string[];
  /** The block's directives, for `server { ... }` and the like. */
  block?: Directive[];
}

/** nginx's syntax: `name args;` or `name args { ... }`, `#` comments, quoted arguments. */
function parseNginx(text: string, file: string): Directive[] {
  const tokens = [
    ...text.matchAll(/#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g),
  ]
    .filter(([token]) => !token.startsWith('#'))
    .map(([token, double, single, punctuation]) => ({
      text: double ?? single ?? token,
      punctuation: punctuation !== undefined,
    }));
  let position = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const directives: Directive[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const { text: token, punctuation } = tokens[position] ?? { text: '', punctuation: true };
      position += 1;
      if (!punctuation) {
        words.push(token);
      } else if (token === ';' || token === '{') {
        const [name = '', ...args] = words;
        if (!name) throw new Error(`${file}: "${token}" without a directive`);
        directives.push(token === '{' ? { name, args, block: parseBlock(true) } : { name, args });
        words = [];
      } else if (nested && words.length === 0) {
        return directives; // the closing `}`
      } else {
        throw new Error(
          `${file}: unexpected "}"${words.length ? ` after ${words.join(' ')}` : ''}`,
        );
      }
    }
    if (nested || words.length > 0) throw new Error(`${file}: ends inside a block or directive`);
    return directives;
  };
  return parseBlock(false);
}

const directives = (block: Directive[], name: string): Directive[] =>
  block.filter((directive) => directive.name === name);
const blockOf = (directive: Directive | undefined): Directive[] => directive?.block ?? [];

/** The volume that mounts an nginx config into the load balancer, and that file parsed. */
function loadBalancerConfig(): {
  source: string;
  target: string;
  readOnly: boolean;
  conf: Directive[];
} {
  const mounts = listOf(service(loadBalancer())['volumes']).map((volume) =>
    typeof volume === 'object' && volume !== null
      ? {
          source: String(asMap(volume, 'volume')['source']),
          target: String(asMap(volume, 'volume')['target']),
          readOnly: asMap(volume, 'volume')['read_only'] === true,
        }
      : {
          source: String(volume).split(':')[0] ?? '',
          target: String(volume).split(':')[1] ?? '',
          readOnly: String(volume).split(':')[2] === 'ro',
        },
  );
  const [mount] = mounts.filter(({ target }) => target.startsWith('/etc/nginx/'));
  if (!mount) throw new Error('docker-compose.yml: the load balancer mounts no nginx config');
  const path = posix.join(ROOT, mount.source);
  const conf = existsSync(path) ? parseNginx(readFileSync(path, 'utf8'), mount.source) : [];
  return { ...mount, conf };
}

/** The `server` blocks (the file is included inside the image's `http {}`). */
const nginxServers = (conf: Directive[]): Directive[][] =>
  [
    ...directives(conf, 'server'),
    ...directives(conf, 'http').flatMap((http) => directives(blockOf(http), 'server')),
  ].map(blockOf);

/** The location nginx picks for a URI: an exact match, else the longest prefix (no regexes here). */
function locationFor(server: Directive[], uri: string): Directive[] {
  const locations = directives(server, 'location');
  const exact = locations.find(({ args }) => args[0] === '=' && args[1] === uri);
  const prefixes = locations
    .map(({ args, block }) => ({
      path: args.length === 1 ? args[0] : args[0] === '^~' ? args[1] : undefined,
      block,
    }))
    .filter(({ path }) => path !== undefined && uri.startsWith(path))
    .sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0));
  return exact?.block ?? prefixes[0]?.block ?? [];
}

/** A directive's value where it applies: the innermost block that sets it wins. */
const effective = (name: string, ...scopes: Directive[][]): string[] | undefined =>
  scopes.map((scope) => directives(scope, name).at(-1)?.args).findLast(Boolean);

/** nginx sizes (`2m`, `512k`, bytes) and times (`75s`, `5m`, `1h`, seconds) in bytes and seconds. */
function nginxNumber(value: string | undefined, units: Record<string, number>): number {
  const [, digits = '', unit = ''] = /^(\d+)([a-z]*)$/i.exec(value ?? '') ?? [];
  const factor = units[unit.toLowerCase()];
  if (!digits || factor === undefined) throw new Error(`nginx: cannot read "${value}"`);
  return Number(digits) * factor;
}
const SIZES = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const TIMES = { '': 1, s: 1, m: 60, h: 3600 };

// ---- Dockerfile ----------------------------------------------------------------------------

const KEYWORDS = new Set([
  ...['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL'],
  ...['ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'],
]);

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  index: number;
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

/** One instruction per logical line: comments dropped, `\` continuations joined. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    start = buffer === '' ? index + 1 : start;
    buffer += line.endsWith('\\') ? `${line.slice(0, -1).trim()} ` : line;
    if (!line.endsWith('\\')) {
      const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/s.exec(buffer) ?? [];
      instructions.push({ keyword: keyword.toUpperCase(), args: args.trim(), line: start });
      buffer = '';
    }
  }
  if (buffer !== '') {
    throw new Error(`Dockerfile ends inside a continued line (from line ${start})`);
  }
  return instructions;
}

function parseStages(instructions: Instruction[]): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    const current = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'));
      const resolved = image.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_match, a?: string, b?: string) => globalArgs[a ?? b ?? ''] ?? '',
      );
      stages.push({
        index: stages.length,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        image: resolved,
        instructions: [],
      });
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split(/=(.*)/s);
      globalArgs[name] = value;
    } else {
      throw new Error(
        `Dockerfile line ${instruction.line}: ${instruction.keyword} before the first FROM`,
      );
    }
  }
  return stages;
}

/** `--from=build --chown=node src dest` -> flags, sources and destination (shell or JSON form). */
function parseCopy(args: string): {
  flags: Record<string, string>;
  sources: string[];
  destination: string;
} {
  const flags: Record<string, string> = {};
  let rest = args;
  for (
    let flag = /^--([\w-]+)(?:=(\S+))?\s*/.exec(rest);
    flag;
    flag = /^--([\w-]+)(?:=(\S+))?\s*/.exec(rest)
  ) {
    flags[flag[1] ?? ''] = flag[2] ?? 'true';
    rest = rest.slice(flag[0].length);
  }
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, sources: words.slice(0, -1), destination: words.at(-1) ?? '' };
}

interface FinalStage {
  stage: Stage;
  workdir: string;
  user: string | undefined;
  cmd: string | undefined;
  env: Record<string, string>;
  /** Each COPY with its destination resolved against the WORKDIR in force at that point. */
  copies: { from: string | undefined; sources: string[]; destination: string }[];
}

function walkFinalStage(): FinalStage {
  const stage = dockerfileStages().at(-1);
  if (!stage) {
    throw new Error('Dockerfile has no FROM');
  }
  const walked: FinalStage = {
    stage,
    workdir: '/',
    user: undefined,
    cmd: undefined,
    env: {},
    copies: [],
  };
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      walked.workdir = posix.resolve(walked.workdir, args);
    } else if (keyword === 'USER') {
      walked.user = args;
    } else if (keyword === 'CMD') {
      walked.cmd = args;
    } else if (keyword === 'ENV') {
      for (const [, name = '', value = ''] of args.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S*)/g)) {
        walked.env[name] = value.replace(/^(["'])(.*)\1$/, '$2');
      }
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const { flags, sources, destination } = parseCopy(args);
      walked.copies.push({
        from: flags['from'],
        sources,
        destination: posix.resolve(walked.workdir, destination),
      });
    }
  }
  return walked;
}

const dockerfileText = readRootFile('Dockerfile');
const dockerfileStages = (): Stage[] => parseStages(parseInstructions(dockerfileText));
const dockerfileEnv = (): Record<string, string> => walkFinalStage().env;
const instructionsOf = (stage: Stage, ...keywords: string[]): Instruction[] =>
  stage.instructions.filter((instruction) => keywords.includes(instruction.keyword));

// ---- checks ------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('runs postgres, redis, the api replicas and a load balancer, each with a healthcheck', () => {
    const unhealthy = ['postgres', 'redis', ...replicas(), loadBalancer()].filter(
      (name) => !services[name] || !healthcheckCommand(service(name)),
    );
    expect(unhealthy).toEqual([]);
    expect(healthcheckCommand(service('postgres'))).toContain('pg_isready');
    expect(healthcheckCommand(service('redis'))).toMatch(/redis-cli.*ping/);
    expect(healthcheckCommand(api())).toContain(`:${apiPort()}/api/health`);
  });

  it('runs at least two api replicas of one definition: image, environment, healthcheck', () => {
    expect(replicas().length).toBeGreaterThanOrEqual(2);
    const shape = (name: string): unknown => ({
      build: service(name)['build'],
      environment: environmentOf(service(name)),
      healthcheck: service(name)['healthcheck'],
      depends_on: service(name)['depends_on'],
      volumes: service(name)['volumes'],
    });
    const different = replicas().filter(
      (name) => JSON.stringify(shape(name)) !== JSON.stringify(shape('api')),
    );
    expect(different).toEqual([]);
  });

  it('starts each replica only once postgres and redis are healthy', () => {
    const conditions = replicas().map((replica) =>
      Object.fromEntries(
        ['postgres', 'redis'].map((name) => [
          name,
          asMap(dependsOn(replica)[name] ?? {}, name)['condition'],
        ]),
      ),
    );
    expect(new Set(conditions.map((condition) => JSON.stringify(condition)))).toEqual(
      new Set([JSON.stringify({ postgres: 'service_healthy', redis: 'service_healthy' })]),
    );
  });

  it('builds the api from the Dockerfile in this repository', () => {
    const build = api()['build'];
    const { context = '.', dockerfile = 'Dockerfile' } =
      typeof build === 'string' ? { context: build } : asMap(build, 'build');
    expect(existsSync(posix.join(ROOT, String(context), String(dockerfile)))).toBe(true);
  });

  it('sets only variables the API reads (env.schema.ts)', () => {
    const known = Object.keys(envSchema.shape);
    const unknown = replicas().flatMap((name) =>
      Object.keys(environmentOf(service(name)))
        .filter((variable) => !known.includes(variable))
        .map((variable) => `${name}.${variable}`),
    );
    expect(unknown).toEqual([]);
  });

  it('gives the API a stateless configuration it accepts in production', () => {
    const environment = resolvedEnvironment('api');
    expect(environment['NODE_ENV']).toBe('production');
    const config = loadConfig(environment);
    expect(config.database.kind).toBe('postgres');
    expect(config.redisUrl).toBeDefined();
    expect(config.http.port).toBe(apiPort());
    // Nothing generated into DATA_DIR, which would differ between replicas and need a volume.
    expect(config.providers.masterKeyFile).toBeNull();
    expect(config.auth.jwtSecret).toBe(environment['JWT_SECRET']);
  });

  it('publishes a port only on the load balancer, the port its nginx listens on', () => {
    expect(publishers()).toEqual([loadBalancer()]);
    const listening = nginxServers(loadBalancerConfig().conf).flatMap((server) =>
      directives(server, 'listen').map(({ args }) => Number(args[0]?.split(':').at(-1))),
    );
    expect(publishedTargets(loadBalancer())).toEqual(listening);
  });

  it('trusts X-Forwarded-* on the replicas only behind an nginx that overwrites them', () => {
    const trusting = replicas().filter(
      (name) => loadConfig(resolvedEnvironment(name)).http.trustProxy,
    );
    expect(trusting).toEqual(replicas());
    // TRUST_PROXY=true believes the leftmost address: appending ($proxy_add_x_forwarded_for)
    // would let a client choose its own IP.
    const headers = nginxServers(loadBalancerConfig().conf).map((server) =>
      Object.fromEntries(
        directives(server, 'proxy_set_header').map(({ args }): [string, string | undefined] => [
          args[0]?.toLowerCase() ?? '',
          args[1],
        ]),
      ),
    );
    expect(headers).toEqual([
      expect.objectContaining({
        host: '$http_host',
        'x-forwarded-for': '$remote_addr',
        'x-forwarded-proto': '$scheme',
        'x-forwarded-host': '$http_host',
      }),
    ]);
  });

  it('starts the load balancer once every replica is healthy', () => {
    const awaited = dependsOn(loadBalancer());
    const conditions = replicas().map((name) => [
      name,
      asMap(awaited[name] ?? {}, name)['condition'],
    ]);
    expect(conditions).toEqual(replicas().map((name) => [name, 'service_healthy']));
  });

  it('points DATABASE_URL and REDIS_URL at services the api waits for', () => {
    const environment = resolvedEnvironment('api');
    const hosts = ['DATABASE_URL', 'REDIS_URL'].map((name) => [
      name,
      new URL(environment[name] ?? '').hostname,
    ]);
    const awaited = Object.keys(dependsOn());
    expect(hosts.filter(([, host = '']) => !services[host] || !awaited.includes(host))).toEqual([]);
    const database = new URL(environment['DATABASE_URL'] ?? '');
    const postgres = resolvedEnvironment('postgres');
    expect([
      decodeURIComponent(database.username),
      decodeURIComponent(database.password),
      database.pathname.slice(1),
    ]).toEqual([
      postgres['POSTGRES_USER'],
      postgres['POSTGRES_PASSWORD'],
      postgres['POSTGRES_DB'] ?? postgres['POSTGRES_USER'],
    ]);
  });

  it('holds no secret: secrets are interpolated from .env, with no default', () => {
    const literal = Object.keys(services).flatMap((serviceName) =>
      Object.entries(environmentOf(service(serviceName))).flatMap(([name, value]) => [
        ...(isSecretName(name) && !isInterpolatedSecret(value) ? [`${serviceName}.${name}`] : []),
        ...(value !== null && !isInterpolatedSecret(urlPassword(value))
          ? [`${serviceName}.${name} (URL password)`]
          : []),
      ]),
    );
    expect(literal).toEqual([]);
  });

  it('documents in .env.example every variable it interpolates, with its real default', () => {
    const documented = envExample();
    const references = [...composeText.matchAll(INTERPOLATION)].filter(
      (match) => match[1] ?? match[4],
    );
    const undocumented = references
      .map((match) => match[1] ?? match[4] ?? '')
      .filter((name) => !documented.has(name));
    expect([...new Set(undocumented)]).toEqual([]);
    const misdocumented = references
      .filter(
        ([, name = '', operator]) => operator?.endsWith('-') && documented.get(name)?.commented,
      )
      .filter(([, name = '', , fallback]) => documented.get(name)?.value !== fallback)
      .map(
        ([text, name]) =>
          `${text} but .env.example says ${name}=${documented.get(name ?? '')?.value}`,
      );
    expect(misdocumented).toEqual([]);
    const filledSecrets = [...documented].filter(
      ([name, { value }]) => isSecretName(name) && value !== '',
    );
    expect(filledSecrets.map(([name]) => name)).toEqual([]);
  });
});

describe('the load balancer (nginx)', () => {
  it('mounts a config file that exists, read-only', () => {
    const { source, readOnly, conf } = loadBalancerConfig();
    expect(existsSync(posix.join(ROOT, source))).toBe(true);
    expect(readOnly).toBe(true);
    expect(nginxServers(conf)).toHaveLength(1);
  });

  it('balances over exactly the api replicas, on the port they listen on, kept alive', () => {
    const { conf } = loadBalancerConfig();
    const upstreams = [...conf, ...directives(conf, 'http').flatMap(blockOf)].filter(
      ({ name }) => name === 'upstream',
    );
    const proxied = nginxServers(conf).flatMap((server) =>
      directives(server, 'location').flatMap(({ block = [] }) =>
        directives(block, 'proxy_pass').map(({ args }) => args[0]),
      ),
    );
    // Every location forwards to the one upstream, by name.
    expect(new Set(proxied)).toEqual(new Set(upstreams.map(({ args }) => `http://${args[0]}`)));
    expect(upstreams).toHaveLength(1);
    const upstream = blockOf(upstreams[0]);
    const servers = directives(upstream, 'server').map(({ args }) => args[0]);
    expect([...servers].sort()).toEqual(
      replicas()
        .map((name) => `${name}:${apiPort()}`)
        .sort(),
    );
    expect(directives(upstream, 'keepalive')).toHaveLength(1);
    const [server = []] = nginxServers(conf);
    expect(effective('proxy_http_version', conf, server)).toEqual(['1.1']);
    expect(effective('proxy_set_header', conf, server)).toBeDefined();
    expect(
      directives(server, 'proxy_set_header').some(
        ({ args }) => args[0]?.toLowerCase() === 'connection' && args[1] === '',
      ),
    ).toBe(true);
  });

  it('streams chat completions unbuffered and outwaits the gateway upstream timeout', () => {
    const { conf } = loadBalancerConfig();
    const [server = []] = nginxServers(conf);
    const streaming = locationFor(server, '/v1/chat/completions');
    expect(effective('proxy_buffering', conf, server, streaming)).toEqual(['off']);
    const gatewaySeconds = envSchema.shape.GATEWAY_UPSTREAM_TIMEOUT_MS.parse(undefined) / 1000;
    const timeouts = ['proxy_read_timeout', 'proxy_send_timeout'].map((name) =>
      nginxNumber(effective(name, conf, server, streaming)?.[0] ?? '60s', TIMES),
    );
    expect(timeouts.filter((seconds) => seconds <= gatewaySeconds)).toEqual([]);
  });

  it('accepts every body the API accepts', () => {
    const { conf } = loadBalancerConfig();
    const [server = []] = nginxServers(conf);
    const limits = replicas().map(
      (name) => loadConfig(resolvedEnvironment(name)).http.bodyLimitBytes,
    );
    const edge = nginxNumber(effective('client_max_body_size', conf, server)?.[0] ?? '1m', SIZES);
    expect(limits.filter((limit) => limit > edge)).toEqual([]);
  });

  it('retries another replica for idempotent requests only', () => {
    const { conf } = loadBalancerConfig();
    const [server = []] = nginxServers(conf);
    const retried = [server, ...directives(server, 'location').map(blockOf)].flatMap(
      (scope) => effective('proxy_next_upstream', conf, server, scope) ?? [],
    );
    expect(retried).not.toContain('non_idempotent');
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, each FROM a tagged image or an earlier stage', () => {
    const stages = dockerfileStages();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = stages.flatMap((stage) => stage.name ?? []);
    expect(new Set(names).size).toBe(names.length);
    const unresolved = stages.filter(
      ({ index, image }) =>
        !names.slice(0, index).includes(image) &&
        !/^[\w./-]+:[\w.-]+(@sha256:[a-f0-9]{64})?$/.test(image),
    );
    expect(unresolved.map(({ index, image }) => `stage ${index}: FROM "${image}"`)).toEqual([]);
  });

  it('uses only known instructions (a lost `\\` turns the next line into one)', () => {
    const unknown = parseInstructions(dockerfileText).filter(
      ({ keyword }) => !KEYWORDS.has(keyword),
    );
    expect(unknown.map(({ keyword, line }) => `line ${line}: ${keyword}`)).toEqual([]);
  });

  it('copies --from only stages defined before the COPY', () => {
    const stages = dockerfileStages();
    const dangling = stages.flatMap((stage) => {
      const defined = stages
        .slice(0, stage.index)
        .flatMap((earlier) => [earlier.name, String(earlier.index)]);
      return instructionsOf(stage, 'COPY', 'ADD')
        .map(({ args, line }) => ({ line, from: parseCopy(args).flags['from'] }))
        .filter(({ from }) => from !== undefined && !defined.includes(from))
        .map(({ line, from }) => `line ${line}: --from=${from}`);
    });
    expect(dangling).toEqual([]);
  });

  it('installs the pinned pnpm and the locked dependencies, then builds everything', () => {
    const { packageManager } = JSON.parse(readRootFile('package.json')) as {
      packageManager: string;
    };
    expect(dockerfileText).toContain(packageManager);
    expect(dockerfileText).toMatch(/pnpm install[^\n]*--frozen-lockfile/);
    expect(dockerfileText).toMatch(/\bpnpm build\b/);
  });

  it('runs in production as a non-root user, exposing the API port with a healthcheck', () => {
    const { stage, user, env } = walkFinalStage();
    expect(['root', '0', undefined]).not.toContain(user?.split(':')[0]);
    expect(env['NODE_ENV']).toBe('production');
    const exposed = instructionsOf(stage, 'EXPOSE').flatMap(({ args }) =>
      args.split(/\s+/).map((port) => Number(port.split('/')[0])),
    );
    expect(exposed).toContain(apiPort());
    const healthchecks = instructionsOf(stage, 'HEALTHCHECK').map(({ args }) => args);
    expect(healthchecks).toEqual([expect.stringMatching(/^(--\S+\s+)*CMD\b.*\/api\/health/)]);
  });

  it('sets only variables the API reads, and no secrets', () => {
    const names = Object.keys(dockerfileEnv());
    const known = Object.keys(envSchema.shape);
    expect(names.filter((name) => !known.includes(name) || isSecretName(name))).toEqual([]);
  });

  it('starts the API build entry under WORKDIR, copied there from a build stage', () => {
    const { workdir, cmd, copies } = walkFinalStage();
    const command: unknown = JSON.parse(cmd?.startsWith('[') ? cmd : 'null'); // exec form: node gets SIGTERM
    const [program, entry] = Array.isArray(command) ? command.map(String) : [];
    expect(program).toBe('node');
    const entryPath = posix.resolve(workdir, entry ?? '');
    expect(entryPath).toBe(posix.join(workdir, API_ENTRY));
    const carriers = copies.filter(
      ({ from, destination }) => from && `${entryPath}/`.startsWith(`${destination}/`),
    );
    expect(carriers).not.toEqual([]);
  });

  it('places the console build where the API looks for it', () => {
    const { workdir, env, copies } = walkFinalStage();
    const webDist = env['WEB_DIST_DIR']
      ? posix.resolve(workdir, env['WEB_DIST_DIR'])
      : posix.resolve(workdir, posix.dirname(API_ENTRY), 'config', WEB_DIST_FROM_API_CONFIG_DIR);
    const sources = copies
      .filter(({ destination }) => destination === webDist)
      .flatMap((copy) => copy.sources);
    expect({ webDist, sources }).toEqual({
      webDist,
      sources: [expect.stringMatching(/(^|\/)apps\/web\/dist\/?$/)],
    });
  });
});

describe('.dockerignore', () => {
  it('keeps host installs, builds and secrets out of the context, but not the lockfile or sources', () => {
    const patterns = readRootFile('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.env']));
    expect(
      patterns.filter((pattern) => /pnpm-lock|pnpm-workspace|^(apps|libs)\/?$|src/.test(pattern)),
    ).toEqual([]);
  });
});
