// lib/grn.js of the worker bundle: the `grn` launcher runs the bundled Node on this file.
import { runFromCommandLine } from '../../../orchestrator/cli/main.js';

await runFromCommandLine();
