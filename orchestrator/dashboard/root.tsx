import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { Dashboard, type ExitKind } from './app.js';
import { useTerminalSize, type TerminalSize } from './hooks/use-terminal-size.js';
import { Launcher, type WorkerChoice } from './panels/launcher.js';
import type { Session } from './session.js';
import type { SpecEntry } from './specs.js';

/** How the dashboard starts: on the launcher, or straight into a sweep (launched or attached). */
export type StartMode = { kind: 'launcher' } | { kind: 'open'; open: (progress: (text: string) => void) => Promise<Session> };

export type RootExit = { how: ExitKind; session: Session } | { how: 'quit'; session: null } | { how: 'error'; error: Error; session: null };

export interface RootProps {
  start: StartMode;
  specsDir: string;
  loadSpecs: () => Promise<SpecEntry[]>;
  describe: (path: string) => Promise<SpecEntry>;
  workers: WorkerChoice;
  /** Launch a spec as a background sweep and attach to it. */
  launch: (spec: string, workers: WorkerChoice, progress: (text: string) => void) => Promise<Session>;
  onExit: (exit: RootExit) => void;
  size?: TerminalSize;
  fps?: number;
}

type Phase = { kind: 'launcher'; error: string | null } | { kind: 'starting'; lines: string[] } | { kind: 'attached'; session: Session };

/** The phases of one dashboard run: launcher → starting (sweep launching, server coming up) → attached. */
export function Root(props: RootProps) {
  const size = useTerminalSize(props.size);
  const [phase, setPhase] = useState<Phase>(props.start.kind === 'launcher' ? { kind: 'launcher', error: null } : { kind: 'starting', lines: [] });

  const begin = (open: (progress: (text: string) => void) => Promise<Session>, fromLauncher: boolean) => {
    const lines: string[] = [];
    setPhase({ kind: 'starting', lines });
    const progress = (text: string) => setPhase({ kind: 'starting', lines: (lines.push(text), [...lines]) });
    open(progress).then(
      (session) => setPhase({ kind: 'attached', session }),
      (err: Error) => (fromLauncher ? setPhase({ kind: 'launcher', error: err.message }) : props.onExit({ how: 'error', error: err, session: null })),
    );
  };

  useEffect(() => {
    const start = props.start;
    if (start.kind === 'open') begin(start.open, false);
    // Runs once: the start mode is fixed for the life of the dashboard.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (phase.kind === 'launcher') {
    return (
      <Launcher
        specsDir={props.specsDir}
        loadSpecs={props.loadSpecs}
        describe={props.describe}
        workers={props.workers}
        error={phase.error}
        onLaunch={(spec, workers) => begin((progress) => props.launch(spec, workers, progress), true)}
        onQuit={() => props.onExit({ how: 'quit', session: null })}
        width={size.columns}
        height={Math.max(10, size.rows - 1)}
      />
    );
  }
  if (phase.kind === 'starting') return <Starting lines={phase.lines} onQuit={() => props.onExit({ how: 'quit', session: null })} />;
  const session = phase.session;
  return <Dashboard store={session.store} control={session.control} reattach={session.reattach} onExit={(how) => props.onExit({ how, session })} size={props.size} fps={props.fps} />;
}

function Starting({ lines, onQuit }: { lines: string[]; onQuit: () => void }) {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') onQuit();
  });
  return (
    <Box flexDirection="column">
      <Text bold>GRN — starting…</Text>
      {lines.map((l, i) => (
        <Text key={i} dimColor={i < lines.length - 1}>
          {l}
        </Text>
      ))}
    </Box>
  );
}
