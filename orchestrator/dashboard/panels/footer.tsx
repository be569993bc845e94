import { Text } from 'ink';

/** The key reminder (cut to the width; `?` lists them all). */
export function Footer({ width, mode }: { width: number; mode: 'main' | 'filter' | 'final' | 'seeds' }) {
  const keys: Array<[string, string]> =
    mode === 'filter'
      ? [['type', 'filter rows'], ['enter', 'keep'], ['esc', 'clear']]
      : mode === 'final'
        ? [['g', 'grid'], ['r', 'retry failed'], ['?', 'help'], ['q', 'quit']]
        : [
            ['←↓↑→/hjkl', 'move'],
            ['enter', mode === 'seeds' ? 'back' : 'seeds'],
            ['p', 'pause/resume'],
            ['c', 'cancel'],
            ['r', 'retry failed'],
            ['/', 'filter'],
            ['tab', 'panel'],
            ['?', 'help'],
            ['q', 'quit'],
          ];
  return (
    <Text wrap="truncate-end">
      {keys.map(([k, what]) => (
        <Text key={k}>
          <Text bold inverse>{` ${k} `}</Text>
          <Text>{` ${what} `}</Text>
        </Text>
      ))}
    </Text>
  );
}
