import { execa, type ResultPromise } from 'execa';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The PyTorch reference step (bench/pytorch/simplecnn_step.py) as a long-lived child process, so
 * benchmark blocks can alternate between TensorFlow.js and PyTorch without start-up costs.
 */
export class PyTorchReference {
  private constructor(
    private readonly child: ResultPromise,
    private readonly lines: AsyncIterator<string>,
    private readonly rl: Interface,
    readonly version: string,
    readonly threads: number,
  ) {}

  /** Starts it, or returns null with the reason when Python or torch is not importable. */
  static async start(threads: number, batch: number): Promise<PyTorchReference | { unavailable: string }> {
    const script = fileURLToPath(new URL('../../bench/pytorch/simplecnn_step.py', import.meta.url));
    const python = process.env.GRN_PYTHON ?? 'python3';
    const child = execa(python, [script, String(threads), String(batch)], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false });
    const rl = createInterface({ input: child.stdout! });
    const lines = rl[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      const result = await child;
      const reason = String(result.stderr ?? '').trim().split('\n').at(-1) || 'python3 not found';
      return { unavailable: reason };
    }
    const ready = JSON.parse(first.value) as { torch: string; threads: number };
    return new PyTorchReference(child, lines, rl, ready.torch, ready.threads);
  }

  private async ask(command: string): Promise<Record<string, number>> {
    this.child.stdin!.write(`${command}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('the PyTorch reference process ended unexpectedly');
    return JSON.parse(line.value) as Record<string, number>;
  }

  async samplesPerSecond(seconds: number): Promise<number> {
    return (await this.ask(`run ${seconds}`)).samples_per_s!;
  }

  async matmulGflops(n: number): Promise<number> {
    return (await this.ask(`matmul ${n}`)).gflops!;
  }

  async stop(): Promise<void> {
    this.child.stdin!.end('quit\n');
    this.rl.close();
    await this.child;
  }
}
