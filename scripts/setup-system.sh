#!/usr/bin/env bash
# The system programs sweeps need: nats-server (the embedded broker `grn sweep run` starts, and
# the real server the tests use) and tmux (the dashboard's end-to-end test drives a real terminal).
# Installed from the distribution with apt where missing (Debian/Ubuntu: nats-server 2.9+);
# elsewhere it says what to install. Idempotent: does nothing when both are on PATH.
# Usage: npm run setup:system   (needs root or sudo for apt)
set -euo pipefail

log() { printf 'setup-system: %s\n' "$*" >&2; }

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ "${#missing[@]}" -eq 0 ]; then
  log "nats-server $(nats-server --version 2>/dev/null | sed 's/^nats-server: //') and tmux present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "missing: ${missing[*]}. Install them with your package manager (macOS: brew install ${missing[*]};"
  log "nats-server releases: https://github.com/nats-io/nats-server/releases), or set GRN_NATS_SERVER to its path"
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "not root and no sudo: install ${missing[*]} yourself (apt-get install ${missing[*]})"
    exit 1
  fi
fi
log "installing ${missing[*]} with apt"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
log "nats-server $(nats-server --version | sed 's/^nats-server: //'), $(tmux -V)"
