#!/usr/bin/env bash
# Makes the optional `tensorflow` backend usable: builds the native addon of @tensorflow/tfjs-node
# (lib/napi-v8/tfjs_binding.node) and puts the TensorFlow C library it links against into the
# package's deps/ folder.
#
# Why: package.json's allowScripts denies tfjs-node's install script, so `npm ci` leaves the package
# without its addon and without libtensorflow. Online, the package's own installer
# (scripts/install.js) downloads libtensorflow 2.9.1 from storage.googleapis.com plus a prebuilt
# addon; that is tried first. Offline (only the npm registry and a PyPI mirror reachable), the
# TensorFlow C library is taken from the `tensorflow-cpu` Python wheel instead: its
# libtensorflow_cc.so.2 exports the whole C API (TF_*, TFE_*) that the addon uses, and the wheel
# ships the C headers, so the addon is compiled here with npm's bundled node-gyp.
#
# Idempotent: exits 0 straight away when `require('@tensorflow/tfjs-node')` already works; the
# wheel and its extraction are cached under .grn/cache/ (gitignored) and reused.
# Environment:
#   GRN_TF_WHEEL=path            use this tensorflow-cpu wheel instead of `pip download`
#   GRN_TF_SKIP_ONLINE=1         skip the package's own (online) installer
#   GRN_TF_INSTALL_TIMEOUT=secs  time limit for that installer (default 60)
# Needs (offline route): python3 with pip, a C++ compiler, make, and Node's headers (found next to
# the node binary, e.g. /usr/include/node; otherwise node-gyp tries to download them).
# Usage: npm run setup:tensorflow
#        npm run setup:tensorflow -- --gpu --wheel-dir DIR ...   the CUDA build (setup-tensorflow-gpu.sh)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

if [[ ${1:-} == --gpu ]]; then
  shift
  exec bash "$ROOT/scripts/setup-tensorflow-gpu.sh" "$@"
fi
[[ $# -eq 0 ]] || { echo "setup-tensorflow: ERROR: unknown argument '$1' (the only one is --gpu, first)" >&2; exit 2; }

TF_VERSION=2.21.0
PKG_DIR=$ROOT/node_modules/@tensorflow/tfjs-node
CACHE_DIR=$ROOT/.grn/cache
LOG_NAME=setup-tensorflow
# shellcheck source=lib/tensorflow-addon.sh
source "$ROOT/scripts/lib/tensorflow-addon.sh"

# Loads tfjs-node from the project root, as the project does. Silent; the exit status says.
loads() { (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=3 node -e "require('@tensorflow/tfjs-node')") >/dev/null 2>&1; }

verify() { verify_addon @tensorflow/tfjs-node; }

start=$SECONDS

# (a) Already working?
if [[ -d $PKG_DIR ]] && loads; then
  errors=$(mktemp)
  if summary=$(verify 2>"$errors"); then
    rm -f "$errors"
    log "@tensorflow/tfjs-node already loads; nothing to do ($summary)"
    exit 0
  fi
  cat "$errors" >&2
  rm -f "$errors"
  die "@tensorflow/tfjs-node loads but the check above failed (to rebuild from scratch: rm -rf node_modules/@tensorflow/tfjs-node/{lib,deps,build} and run this again)"
fi

# (b) The npm package itself must be there.
if [[ ! -f $PKG_DIR/package.json ]]; then
  die "node_modules/@tensorflow/tfjs-node is missing: run \`npm ci\` first (without --omit=optional)"
fi
log "@tensorflow/tfjs-node $(node -p "require('$PKG_DIR/package.json').version") is installed but its native addon does not load"

# (c) The package's own installer: downloads libtensorflow and a prebuilt addon (needs internet).
if [[ ${GRN_TF_SKIP_ONLINE:-0} != 1 ]]; then
  limit=${GRN_TF_INSTALL_TIMEOUT:-60}
  log "trying the package's own installer (node scripts/install.js, ${limit}s limit; needs storage.googleapis.com)"
  # install.js rewrites the package's package.json and only restores it on success.
  pj_backup=$(mktemp)
  cp "$PKG_DIR/package.json" "$pj_backup"
  if (cd "$PKG_DIR" && PATH="$ROOT/node_modules/.bin:$PATH" timeout --kill-after=10 "$limit" node scripts/install.js) \
      >"$pj_backup.log" 2>&1 && loads; then
    rm -f "$pj_backup" "$pj_backup.log"
    log "the package's installer succeeded"
    verify
    log "done in $((SECONDS - start))s"
    exit 0
  fi
  reason=$(grep -m 1 -E '^[A-Za-z]*Error|ERR!|failed' "$pj_backup.log" || tail -n 1 "$pj_backup.log" || true)
  log "the package's installer failed (${reason:-no output}); using the offline route"
  cp "$pj_backup" "$PKG_DIR/package.json"
  rm -f "$pj_backup" "$pj_backup.log"
fi

# (d) Offline route: TensorFlow's C library from the tensorflow-cpu wheel, addon built here.
check_build_tools
mkdir -p "$CACHE_DIR"

# d1. The wheel: GRN_TF_WHEEL, else a cached one, else pip (which also reads local mirrors).
if [[ -n ${GRN_TF_WHEEL:-} ]]; then
  [[ -f $GRN_TF_WHEEL ]] || die "GRN_TF_WHEEL=$GRN_TF_WHEEL does not exist"
  wheel=$(readlink -f "$GRN_TF_WHEEL")
  log "using the wheel from GRN_TF_WHEEL: $wheel"
else
  wheel=$(find "$CACHE_DIR" -maxdepth 1 -name "tensorflow_cpu-$TF_VERSION-*.whl" | sort | head -n 1)
  if [[ -n $wheel ]]; then
    log "reusing the cached wheel $(basename "$wheel")"
  else
    log "downloading the tensorflow-cpu==$TF_VERSION wheel (~270 MB) into .grn/cache/ with pip"
    python3 -m pip download --no-deps --only-binary=:all: --progress-bar off -d "$CACHE_DIR" \
      "tensorflow-cpu==$TF_VERSION" >&2 ||
      die "pip could not get tensorflow-cpu==$TF_VERSION; download its manylinux x86_64 wheel yourself and rerun with GRN_TF_WHEEL=/path/to/tensorflow_cpu-$TF_VERSION-...whl"
    wheel=$(find "$CACHE_DIR" -maxdepth 1 -name "tensorflow_cpu-$TF_VERSION-*.whl" | sort | head -n 1)
    [[ -n $wheel ]] || die "pip reported success but no tensorflow_cpu-$TF_VERSION-*.whl is in $CACHE_DIR"
  fi
fi

# d2. Extract only the two libraries and the C headers the addon includes (cached per wheel);
# d3. lay them out in deps/; d4. build the addon (scripts/lib/tensorflow-addon.sh).
extract_dir=$(extract_tf_wheel "$wheel")
install_tf_deps "$PKG_DIR" "$extract_dir"
build_addon "$PKG_DIR" "$CACHE_DIR/tfjs-node-build.log"

# (e) Check it.
if ! verify; then
  die "the addon was built but loading it failed (see above)"
fi
log "done in $((SECONDS - start))s"
