import { execa, type ResultPromise } from 'execa';
import { createInterface, type Interface } from 'node:readline';

/**
 * A long-lived benchmark child process driven over stdin/stdout, one JSON line per answer: the
 * PyTorch reference and one process per TensorFlow.js backend. Each backend gets its own process
 * because a process that has run one backend runs another measurably slower (V8's inline caches
 * in the op-dispatch path turn polymorphic: tensorflow fell from ~1,600 to ~900-1,200 samples/s
 * after a wasm or cpu block in the same process); separate processes also mirror training, where
 * a trainer process uses exactly one backend. Blocks of different processes can then alternate.
 */
export class LineWorker {
  private constructor(
    private readonly child: ResultPromise,
    private readonly lines: AsyncIterator<string>,
    private readonly rl: Interface,
    /** The first line the child printed (its description of itself). */
    readonly ready: Record<string, unknown>,
    private readonly stderrSoFar: () => string,
  ) {}

  /** What the child has written to stderr so far (libraries log their settings there, e.g. TensorFlow's oneDNN line). */
  stderr(): string {
    return this.stderrSoFar();
  }

  /** Starts the child (`env`: added to this process's environment) and waits for its ready line; on failure returns the reason. */
  static async start(file: string, args: string[], env?: Record<string, string>): Promise<LineWorker | { unavailable: string }> {
    const child = execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false, stderr: true }, ...(env ? { env } : {}) });
    let stderr = '';
    // Kept as it arrives (bounded): what the child's libraries say about themselves at start-up.
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 65_536) stderr += chunk.toString('utf8');
    });
    const rl = createInterface({ input: child.stdout! });
    const lines = rl[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      const result = await child;
      const said = String(result.stderr ?? '').trim().split('\n').filter((l) => !/^(Warning|I0000|WARNING|To enable)/.test(l));
      return { unavailable: said.at(-1) || `${file} exited with code ${result.exitCode}` };
    }
    const ready = JSON.parse(first.value) as Record<string, unknown>;
    if (typeof ready.unavailable === 'string') {
      rl.close();
      child.stdin!.end();
      await child;
      return { unavailable: ready.unavailable };
    }
    return new LineWorker(child, lines, rl, ready, () => stderr);
  }

  async ask(command: string): Promise<Record<string, number>> {
    this.child.stdin!.write(`${command}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error(`benchmark child ended unexpectedly after '${command}'`);
    return JSON.parse(line.value) as Record<string, number>;
  }

  async stop(): Promise<void> {
    this.child.stdin!.end('quit\n');
    this.rl.close();
    await this.child;
  }
}

/** Blocks measured by alternateBlocks: PyTorch's, each worker's, and each worker's per-round ratio to PyTorch (paired-ratio.ts makes the estimate). */
export interface AlternatedBlocks {
  torch: number[];
  blocks: Record<string, number[]>;
  ratios: Record<string, number[]>;
}

/**
 * `rounds` rounds of `run SECONDS` blocks, PyTorch's first and then each worker's in turn, so that
 * load on the machine hits all alike; each worker's ratio to PyTorch is taken within its round.
 */
export async function alternateBlocks(
  torch: LineWorker | null,
  workers: ReadonlyMap<string, LineWorker>,
  rounds: number,
  seconds: number,
  onBlock: (round: number, name: string, block: number, torchBlock: number | undefined) => void,
): Promise<AlternatedBlocks> {
  const out: AlternatedBlocks = { torch: [], blocks: {}, ratios: {} };
  for (let round = 0; round < rounds; round++) {
    const torchBlock = torch ? (await torch.ask(`run ${seconds}`)).samples_per_s! : undefined;
    if (torchBlock) out.torch.push(torchBlock);
    // Odd rounds go through the workers in reverse, so none always runs right after PyTorch.
    const order = round % 2 === 0 ? [...workers] : [...workers].reverse();
    for (const [name, worker] of order) {
      const block = (await worker.ask(`run ${seconds}`)).samples_per_s!;
      (out.blocks[name] ??= []).push(block);
      if (torchBlock) (out.ratios[name] ??= []).push(block / torchBlock);
      onBlock(round, name, block, torchBlock);
    }
  }
  return out;
}
