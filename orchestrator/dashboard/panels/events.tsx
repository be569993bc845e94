import { Box, Text } from 'ink';
import type { DashEvent } from '../state/store.js';
import { clock } from './format.js';

const STYLE: Record<DashEvent['kind'], { glyph: string; color?: string }> = {
  done: { glyph: '✓', color: 'green' },
  failed: { glyph: '✗', color: 'red' },
  retry: { glyph: '↻', color: 'yellow' },
  redelivered: { glyph: '↻', color: 'yellow' },
  joined: { glyph: '+', color: 'cyan' },
  left: { glyph: '−', color: 'magenta' },
  sweep: { glyph: '■', color: 'blue' },
  warning: { glyph: '!', color: 'yellow' },
  info: { glyph: '·' },
};

/** The newest events that fit, newest at the bottom: finished, failed (with the error), redelivered, nodes. */
export function EventsPanel({ events, width, height, focused }: { events: readonly DashEvent[]; width: number; height: number; focused: boolean }) {
  const room = Math.max(0, height - 1);
  const shown = room ? events.slice(-room) : [];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold inverse={focused}> Events </Text>
        <Text dimColor> {events.length ? `${events.length} (newest last)` : 'none yet'}</Text>
      </Text>
      {shown.map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate-end">
          <Text dimColor>{clock(e.at)} </Text>
          <Text color={STYLE[e.kind].color}>{STYLE[e.kind].glyph}</Text> {e.text}
        </Text>
      ))}
    </Box>
  );
}
