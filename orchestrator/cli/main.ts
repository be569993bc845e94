import { Command, CommanderError } from 'commander';
import { GrnError } from '../../shared/errors.js';
import { backendsCommand } from './backends.js';
import { dashboardCommand } from './dashboard.js';
import { nodesCommand } from './nodes.js';
import { reportCommand } from './report.js';
import { serverCommand } from './server.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

/**
 * The `grn` executable. Each command is one module in this folder. Errors the user can fix print
 * one line and exit 2 (bad input) or 1 (failure); only genuine bugs print a stack trace.
 */
export function buildProgram(): Command {
  const program = new Command('grn')
    .description('GradRetentionNet: optimizer research at fleet scale (EnhancedSGD vs SGD, Adam, AdamW, RMSprop)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const command of [trainCommand(), sweepCommand(), workerCommand(), nodesCommand(), serverCommand(), backendsCommand(), dashboardCommand(), reportCommand()]) {
    program.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // `grn` alone on a terminal opens the dashboard's launcher; elsewhere it prints the usage.
  if (argv.length === 0 && process.stdin.isTTY && process.stdout.isTTY) argv = ['dashboard'];
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander but successes to the user.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof GrnError) {
      process.stderr.write(`grn: ${err.message}\n`);
      return err.exitCode;
    }
    // The server refused an operation to these credentials (a viewer asked to change something,
    // or credentials from an older `grn server init` lack a newer permission): say so, no stack.
    if (err instanceof Error && /Permissions Violation/.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`)) {
      process.stderr.write(`grn: the server refused: ${err.message.replace(/^.*?(Permissions Violation)/, '$1')} — these credentials do not allow it (viewer credentials made by an older \`grn server init\` may need making again with --force)\n`);
      return 1;
    }
    if (err instanceof Error && err.name === 'ZodError') {
      process.stderr.write(`grn: invalid input: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** Runs `grn` on this process's arguments and sets its exit code: for bin/grn.js and the worker bundle's grn.js. */
export async function runFromCommandLine(): Promise<void> {
  // `grn sweep status ID | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2));
}
