#!/usr/bin/env bash
# `npm run setup`: everything beyond `npm ci`: the system programs sweeps need (nats-server, tmux)
# and what the optional backends need on this machine.
# Each step is idempotent and is skipped when its backend already works. A step that cannot run
# here (no root for apt, no Python for the TensorFlow wheel) warns and leaves the other backends
# working; set GRN_SETUP_STRICT=1 (CI does) to make any failure fatal.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for step in setup-system setup-tensorflow setup-webgpu; do
  echo "== $step"
  if ! bash "scripts/$step.sh"; then
    echo "warning: $step failed; the rest still works (see its message)" >&2
    status=1
  fi
done
if [ "${GRN_SETUP_STRICT:-0}" = "1" ]; then exit "$status"; fi
exit 0
