import { useEffect, useState } from 'react';
import type { DashboardStore } from '../state/store.js';

/** At most this many store-driven frames per second, however fast telemetry arrives. */
export const MAX_FPS = 10;

/**
 * Ink's own frame limit, above ours: store changes are already throttled here, and a key press
 * (a React state change in the app) should redraw at once rather than wait for a slot.
 */
export const INK_MAX_FPS = 30;

/** For the benchmark: called when a throttled frame starts (the store's changes go to React). */
export const frameProbe: { onFrame?: () => void } = {};

/**
 * Re-renders the component when the store changed, at most `fps` times a second: the store's
 * listener only sets a flag, a timer turns the flag into one React update. Thousands of cell
 * moves or telemetry records between two ticks cost one frame.
 */
export function useStoreFrame(store: DashboardStore, fps = MAX_FPS): number {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    let dirty = false;
    const unsubscribe = store.subscribe(() => {
      dirty = true;
    });
    const timer = setInterval(() => {
      if (!dirty) return;
      dirty = false;
      frameProbe.onFrame?.();
      setFrame((f) => f + 1);
    }, Math.ceil(1000 / fps));
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }, [store, fps]);
  return frame;
}
