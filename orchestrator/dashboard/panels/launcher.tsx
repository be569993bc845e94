import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { SpecEntry } from '../specs.js';
import { fit } from './format.js';
import { windowAround } from './window.js';

export type WorkerChoice = number | 'auto';

/** `auto`, 0 (workers join from elsewhere), 1, 2, … 64. */
export function stepWorkers(current: WorkerChoice, delta: number): WorkerChoice {
  const order: WorkerChoice[] = ['auto', ...Array.from({ length: 65 }, (_, i) => i)];
  const i = order.indexOf(current);
  return order[Math.max(0, Math.min(order.length - 1, (i < 0 ? 0 : i) + delta))]!;
}

interface LauncherForm {
  selected: number;
  workers: WorkerChoice;
  typed: string;
  typedInfo: SpecEntry | null;
}

export interface LauncherProps {
  specsDir: string;
  loadSpecs: () => Promise<SpecEntry[]>;
  describe: (path: string) => Promise<SpecEntry>;
  workers: WorkerChoice;
  /** Why the last launch failed. */
  error?: string | null;
  onLaunch: (spec: string, workers: WorkerChoice) => void;
  onQuit: () => void;
  width: number;
  height: number;
}

/**
 * What `grn` opens on a terminal: the specs in sweeps/ with their cell counts, a line to type any
 * other spec's path, the number of local workers, and launch.
 */
export function Launcher({ specsDir, loadSpecs, describe, workers: initialWorkers, error, onLaunch, onQuit, width, height }: LauncherProps) {
  const [specs, setSpecs] = useState<SpecEntry[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setFormState] = useState<LauncherForm>({ selected: 0, workers: initialWorkers, typed: '', typedInfo: null });
  // Keys (a pasted path) can arrive faster than renders: handlers read and write the latest form.
  const formRef = useRef(form);
  const setForm = (change: Partial<LauncherForm>) => {
    formRef.current = { ...formRef.current, ...change };
    setFormState(formRef.current);
  };

  // The key handler is re-subscribed only after a render's effects run: it reads the list here.
  const specsRef = useRef<SpecEntry[]>([]);
  useEffect(() => {
    let live = true;
    const loaded = (list: SpecEntry[]) => {
      specsRef.current = list;
      setSpecs(list);
    };
    loadSpecs().then(
      (list) => live && loaded(list),
      (err: Error) => live && (loaded([]), setLoadError(err.message)),
    );
    return () => {
      live = false;
    };
  }, [loadSpecs]);

  const list = specs ?? [];
  const typedRow = list.length; // the last row: a path typed in

  useInput((input, key) => {
    const { selected, workers, typed, typedInfo } = formRef.current;
    const list = specsRef.current;
    const typedRow = list.length;
    const onTyped = selected === typedRow;
    if (key.ctrl && input === 'c') return onQuit();
    if (key.upArrow) return setForm({ selected: Math.max(0, selected - 1) });
    if (key.downArrow) return setForm({ selected: Math.min(typedRow, selected + 1) });
    if (key.leftArrow || (!onTyped && (input === '-' || input === 'h'))) return setForm({ workers: stepWorkers(workers, -1) });
    if (key.rightArrow || (!onTyped && (input === '+' || input === 'l'))) return setForm({ workers: stepWorkers(workers, 1) });
    if (key.return) {
      if (!onTyped) {
        const spec = list[selected];
        if (spec && !spec.error) onLaunch(spec.path, workers);
        return;
      }
      const path = typed.trim();
      if (!path) return;
      // First enter shows what the spec holds; a second one (on the same, valid path) launches.
      if (typedInfo && typedInfo.path === path && !typedInfo.error) return onLaunch(path, workers);
      void describe(path).then((info) => setForm({ typedInfo: info }));
      return;
    }
    if (onTyped) {
      if (key.backspace || key.delete) return setForm({ typed: typed.slice(0, -1) });
      if (key.escape) return setForm({ typed: '' });
      if (input && !key.ctrl && !key.meta && input >= ' ') return setForm({ typed: typed + input });
      return;
    }
    if (input === 'q' || key.escape) onQuit();
  });

  const { selected, workers, typed, typedInfo } = form;
  const onTyped = selected === typedRow;
  const room = Math.max(1, height - 9);
  const win = windowAround(list.length, Math.min(selected, Math.max(0, list.length - 1)), room);
  const nameWidth = Math.max(12, Math.min(32, Math.max(0, ...list.map((s) => s.path.length))));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>GRN — launch a sweep</Text>
      <Text dimColor>Specs in {specsDir}/ (cell counts as `grn sweep plan` gives them):</Text>
      {specs === null ? <Text dimColor>reading specs…</Text> : null}
      {specs !== null && list.length === 0 ? <Text dimColor>no specs in {specsDir}/{loadError ? ` (${loadError})` : ''}: type a path below</Text> : null}
      {list.slice(win.start, win.end).map((s, i) => {
        const isSel = win.start + i === selected;
        return (
          <Text key={s.path} wrap="truncate-end" inverse={isSel}>
            {isSel ? '▸ ' : '  '}
            {fit(s.path, nameWidth).padEnd(nameWidth)}{'  '}
            {s.error ? <Text color="red">{s.error}</Text> : <Text>{s.headline}</Text>}
          </Text>
        );
      })}
      <Text wrap="truncate-end" inverse={onTyped}>
        {onTyped ? '▸ ' : '  '}
        <Text dimColor={!typed}>{typed || 'type a spec path…'}</Text>
        {onTyped ? '▌' : ''}
      </Text>
      {typedInfo && onTyped ? (
        <Text wrap="truncate-end" color={typedInfo.error ? 'red' : 'green'}>
          {'  '}
          {typedInfo.error ?? `${typedInfo.headline} — enter again to launch`}
        </Text>
      ) : (
        <Text> </Text>
      )}
      <Text>
        Local workers: <Text bold>◂ {String(workers)} ▸</Text>
        <Text dimColor> {workers === 'auto' ? '(one per GPU, else per CPU slot)' : workers === 0 ? '(none: workers join from other machines)' : ''}</Text>
      </Text>
      {error ? (
        <Text wrap="truncate-end" color="red">
          {error}
        </Text>
      ) : (
        <Text> </Text>
      )}
      <Text dimColor wrap="truncate-end">
        ↑↓ choose · ←→ local workers · enter launch · q quit
      </Text>
    </Box>
  );
}
