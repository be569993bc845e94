import { Box, Text } from 'ink';

/** The overlays that replace the body while open: help, cancel confirmation, quit choice. */

const HELP: Array<[string, string]> = [
  ['arrows, h j k l', 'move over the grid (rows: optimizer variants, columns: data sets)'],
  ['enter', "show / leave the selected cell's seeds (up/down picks the trial shown)"],
  ['p', 'pause handing out cells (running ones finish) / resume'],
  ['c', 'cancel the sweep (asks first): queued cells are dropped, running ones abort'],
  ['r', 'retry the failed cells (queued again, with fresh attempts)'],
  ['/', 'filter the grid by optimizer or data set; esc clears'],
  ['tab', 'show one panel alone (grid, nodes, trial, events), tab again for the next'],
  ['g', 'after the sweep: switch between the final table and the grid'],
  ['q', 'quit: leave the sweep running in the background, or cancel it'],
];

export function HelpDialog({ width }: { width: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 96)}>
      <Text bold>Keys</Text>
      {HELP.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text bold>{k.padEnd(16)}</Text>
          {what}
        </Text>
      ))}
      <Text dimColor>any key closes this help</Text>
    </Box>
  );
}

export function ConfirmCancel({ sweep, width }: { sweep: string; width: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1} width={Math.min(width, 72)}>
      <Text bold color="red">
        Cancel sweep {sweep}?
      </Text>
      <Text>Queued cells are dropped and running trials abort. Results so far are kept.</Text>
      <Text>
        <Text bold>y</Text> cancel the sweep · any other key: keep it running
      </Text>
    </Box>
  );
}

export function QuitDialog({ sweep, width, reattach }: { sweep: string; width: number; reattach: string }) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 78)}>
      <Text bold>Quit the dashboard</Text>
      <Text>
        <Text bold>l</Text> leave sweep {sweep} running in the background
      </Text>
      <Text dimColor>  re-attach later with: {reattach}</Text>
      <Text>
        <Text bold>c</Text> cancel the sweep, then quit
      </Text>
      <Text dimColor>esc: back to the dashboard</Text>
    </Box>
  );
}
