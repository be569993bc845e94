import { createInterface } from 'node:readline';
import { activateBackend, type BackendName } from '../worker/engine/backends/index.js';
import '../worker/engine/tfjs-setup.js';
import { threadEnvironment } from './machine.js';

/**
 * The child side of a LineWorker (line-worker.ts) for one TensorFlow.js backend: activates it,
 * runs `warmup` (kernel compilation, allocators), prints the ready line — or `{unavailable}` and
 * exits when the backend cannot start; the ready line carries the backend's versions and the thread
 * settings this process inherited — then answers each `COMMAND ARG` line with one JSON line
 * from `commands[COMMAND](Number(ARG))`; any other line (`quit`) ends it.
 */
export async function serveBackend(backend: BackendName, warmup: () => Promise<unknown>, commands: Record<string, (arg: number) => Promise<Record<string, unknown>>>): Promise<void> {
  const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  try {
    const report = await activateBackend(backend);
    await warmup();
    say({ ready: true, device: report.device, gpu: report.gpu, versions: report.versions ?? {}, environment: threadEnvironment() });
  } catch (err) {
    say({ unavailable: (err as Error).message });
    process.exit(0);
  }
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, arg] = line.trim().split(/\s+/);
    const answer = command !== undefined && Object.hasOwn(commands, command) ? commands[command] : undefined;
    if (!answer) break;
    say(await answer(Number(arg)));
  }
}
