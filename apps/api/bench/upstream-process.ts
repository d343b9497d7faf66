// The fake providers as a process of their own for the benchmark (see harness.ts). Prints one
// `READY {json}` line with its URL and the provider base-URL overrides, then serves until SIGTERM.
import { startFakeUpstream } from '../test/support/fake-upstream.js';

const upstream = await startFakeUpstream({ record: false });
process.stdout.write(`READY ${JSON.stringify({ url: upstream.url, env: upstream.envFor() })}\n`);
process.once('SIGTERM', () => {
  void upstream.stop().then(() => process.exit(0));
});
