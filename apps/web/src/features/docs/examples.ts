import type { ErrorCode } from '@keyward/shared';

export interface CodeExample {
  id: string;
  label: string;
  language: string;
  code: string;
}

/** Copy-ready snippets pointed at this deployment; the key itself comes from the environment. */
export function codeExamples(origin: string): CodeExample[] {
  return [
    {
      id: 'curl',
      label: 'curl',
      language: 'shell',
      code: [
        'export KEYWARD_API_KEY="kw_..."  # from API Keys → Generate key',
        '',
        `curl ${origin}/v1/models -H "Authorization: Bearer $KEYWARD_API_KEY"`,
      ].join('\n'),
    },
    {
      id: 'python',
      label: 'Python (requests)',
      language: 'python',
      code: [
        'import os',
        '',
        'import requests',
        '',
        'response = requests.get(',
        `    "${origin}/v1/models",`,
        '    headers={"Authorization": f"Bearer {os.environ[\'KEYWARD_API_KEY\']}"},',
        '    timeout=30,',
        ')',
        'response.raise_for_status()',
        'for model in response.json()["data"]:',
        '    print(model["id"])',
      ].join('\n'),
    },
    {
      id: 'typescript',
      label: 'TypeScript (openai)',
      language: 'typescript',
      code: [
        "import OpenAI from 'openai';",
        '',
        'const client = new OpenAI({',
        '  apiKey: process.env.KEYWARD_API_KEY,',
        `  baseURL: '${origin}/v1',`,
        '});',
        '',
        'const models = await client.models.list();',
        'for (const model of models.data) console.log(model.id);',
      ].join('\n'),
    },
  ];
}

export interface ErrorCodeDoc {
  code: ErrorCode;
  status: number;
  meaning: string;
  fix: string;
}

export const ERROR_CODE_DOCS: readonly ErrorCodeDoc[] = [
  {
    code: 'missing_key',
    status: 401,
    meaning: 'The request carried no API key.',
    fix: 'Send it as Authorization: Bearer <key>.',
  },
  {
    code: 'invalid_key',
    status: 401,
    meaning: 'The key is malformed, fails its checksum or is unknown.',
    fix: 'Check for truncation or stray whitespace; copy the key again.',
  },
  {
    code: 'key_revoked',
    status: 401,
    meaning: 'The key was revoked, or regenerated and its grace period is over.',
    fix: 'Use the current key, or generate a new one.',
  },
  {
    code: 'key_expired',
    status: 401,
    meaning: 'The key passed its expiry date.',
    fix: 'Generate a new key and replace it where it is used.',
  },
  {
    code: 'insufficient_scope',
    status: 403,
    meaning: 'The key lacks the scope this endpoint needs.',
    fix: 'Edit the key to add the scope, or use a key that has it.',
  },
  {
    code: 'model_not_allowed',
    status: 403,
    meaning: 'The key is limited to other models.',
    fix: 'Request an allowed model, or extend the key’s allowed models.',
  },
  {
    code: 'rate_limited',
    status: 429,
    meaning: 'The key made too many requests in its window.',
    fix: 'Wait for the seconds in the Retry-After header, then retry with backoff.',
  },
  {
    code: 'validation_failed',
    status: 400,
    meaning: 'The request body or query is invalid.',
    fix: 'The errors array names each field and what is wrong with it.',
  },
];

export const BEST_PRACTICES: readonly { title: string; text: string }[] = [
  {
    title: 'Never commit keys',
    text: 'Keep keys out of source control, tickets and chat. Read them from an environment variable; Keyward keys have a fixed format, so secret scanners can flag one that slips through.',
  },
  {
    title: 'Use a secret manager',
    text: 'Store keys in a secret manager (Vault, AWS Secrets Manager, GCP Secret Manager, your CI’s secrets) rather than in .env files on shared machines.',
  },
  {
    title: 'Rotate with regenerate and a grace period',
    text: 'Regenerate a key with a grace period: the old secret keeps working while you roll out the new one, then stops on its own.',
  },
  {
    title: 'Grant the least scope',
    text: 'Give each application its own key with only the scopes, models and rate limit it needs, so a leak does as little harm as possible.',
  },
  {
    title: 'Revoke what you do not use',
    text: 'Check “Last used” on the API Keys page and revoke keys nothing calls any more. Revoke at once if a key may have leaked.',
  },
];
