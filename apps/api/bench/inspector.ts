// Memory of an API process as its live objects take it: read through the V8 inspector the
// process was started with (`--inspect=127.0.0.1:0`), right after a full garbage collection.
// Resident memory alone says more about V8's heap sizing than about what the process keeps.
import { WebSocket } from 'undici';
import type { ApiProcess } from '../test/support/api-process.js';

export const INSPECT_FLAG = '--inspect=127.0.0.1:0';
/** A full collection of a few hundred MiB takes well under a second. */
const INSPECTOR_TIMEOUT_MS = 30_000;

export interface LiveMemory {
  /** JavaScript objects still reachable. */
  heapUsedMiB: number;
  /** Memory held outside the heap by reachable objects (buffers). */
  externalMiB: number;
}

interface InspectorReply {
  id: number;
  result?: { result?: { value?: unknown } };
  error?: { message: string };
}

/** The inspector's address, from the line Node prints when started with INSPECT_FLAG. */
function inspectorUrlOf(api: ApiProcess): string {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(api.output())?.[1];
  if (!url) throw new Error(`The API was not started with ${INSPECT_FLAG}`);
  return url;
}

/** Collects garbage in `api` (twice, so objects freed by the first go too) and reads its memory. */
export async function liveMemory(api: ApiProcess): Promise<LiveMemory> {
  const socket = new WebSocket(inspectorUrlOf(api));
  const replies = new Map<number, (reply: InspectorReply) => void>();
  socket.addEventListener('message', (event: { data: unknown }) => {
    const reply = JSON.parse(String(event.data)) as InspectorReply;
    replies.get(reply.id)?.(reply);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => {
      resolve();
    });
    socket.addEventListener('error', () => {
      reject(new Error('Cannot reach the API process inspector'));
    });
  });
  let lastId = 0;
  const send = (method: string, params: object = {}): Promise<InspectorReply> => {
    const id = ++lastId;
    return new Promise((resolve, reject) => {
      // A process that stopped answering fails the figure rather than hanging the benchmark.
      const timer = setTimeout(() => {
        replies.delete(id);
        reject(new Error(`${method}: no answer from the API process inspector`));
      }, INSPECTOR_TIMEOUT_MS);
      replies.set(id, (reply) => {
        clearTimeout(timer);
        replies.delete(id);
        if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
        else resolve(reply);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  };
  try {
    await send('HeapProfiler.collectGarbage');
    await send('HeapProfiler.collectGarbage');
    const evaluated = await send('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(String(evaluated.result?.result?.value)) as NodeJS.MemoryUsage;
    return { heapUsedMiB: usage.heapUsed / 2 ** 20, externalMiB: usage.external / 2 ** 20 };
  } finally {
    socket.close();
  }
}
