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
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

TF_VERSION=2.21.0
PKG_DIR=$ROOT/node_modules/@tensorflow/tfjs-node
CACHE_DIR=$ROOT/.grn/cache

log() { printf 'setup-tensorflow: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Loads tfjs-node from the project root, as the project does. Silent; the exit status says.
loads() { (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=3 node -e "require('@tensorflow/tfjs-node')") >/dev/null 2>&1; }

# Loads tfjs-node, runs a small op and checks that the project's tfjs-core sees the backend.
verify() {
  (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1} node -e '
    const tf = require("@tensorflow/tfjs-node");
    const core = require("@tensorflow/tfjs-core");
    const binding = tf.backend().binding;
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
    if (y[0] !== 17 || y[1] !== 39) throw new Error("wrong matMul result: " + Array.from(y));
    if (core.getBackend() !== "tensorflow") {
      throw new Error("the project'"'"'s @tensorflow/tfjs-core does not see the tensorflow backend " +
        "(tfjs-node resolved another copy of tfjs-core; check `npm ls @tensorflow/tfjs-core`)");
    }
    console.log(`tfjs-node ${tf.version["tfjs-node"]}, TensorFlow C library ${binding.TF_Version}, ` +
      `backend ${core.getBackend()}, GPU: ${binding.isUsingGpuDevice()}, matMul ok`);
  ')
}

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
[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
  die "the offline route supports Linux x86_64 only (this is $(uname -s) $(uname -m))"
for tool in python3 make c++; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' not found: the addon is compiled here (Debian/Ubuntu: apt-get install build-essential python3 python3-pip)"
done

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

# d2. Extract only the two libraries and the C headers the addon includes (checked with g++ -MM:
# tensorflow/c, tensorflow/core/platform/ctstring*, tsl/platform/ctstring*, xla/tsl/c), not the
# 13,000 other headers. Cached per wheel; a stamp file marks a complete extraction.
extract_dir=$CACHE_DIR/$(basename "$wheel" .whl)
if [[ -f $extract_dir/.complete ]]; then
  log "reusing the extracted libraries and headers in ${extract_dir#"$ROOT"/}"
else
  log "extracting libtensorflow_cc, libtensorflow_framework and the C headers from $(basename "$wheel") (~850 MB)"
  rm -rf "$extract_dir" "$extract_dir.tmp"
  python3 - "$wheel" "$extract_dir.tmp" <<'PY'
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
libs = {'tensorflow/libtensorflow_cc.so.2': 'lib/libtensorflow_cc.so.2',
        'tensorflow/libtensorflow_framework.so.2': 'lib/libtensorflow_framework.so.2'}
include_dirs = ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/')
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name in libs:
            target = libs[name]
            found.add(name)
        elif name.startswith('tensorflow/include/') and name.endswith('.h') and \
                name[len('tensorflow/include/'):].startswith(include_dirs):
            target = 'include/' + name[len('tensorflow/include/'):]
        else:
            continue
        path = os.path.join(dest, target)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, 'wb') as out:
            shutil.copyfileobj(src, out, 1 << 20)
missing = set(libs) - found
if missing:
    sys.exit('the wheel lacks ' + ', '.join(sorted(missing)))
PY
  for header in tensorflow/c/c_api.h tensorflow/c/eager/c_api.h tensorflow/core/platform/ctstring_internal.h; do
    [[ -f $extract_dir.tmp/include/$header ]] || die "the wheel lacks include/$header"
  done
  touch "$extract_dir.tmp/.complete"
  mv "$extract_dir.tmp" "$extract_dir"
fi

# d3. Lay out deps/ as binding.gyp expects: deps/include and deps/lib/libtensorflow{,_framework}.so.
# The wheel's library has the SONAME libtensorflow_cc.so.2, so the addon records that name and
# finds it at run time through its rpath ($ORIGIN/../../deps/lib): hence the extra link.
# Hard links (no extra 850 MB) when the cache is on the same filesystem, copies otherwise.
place() { ln -f "$1" "$2" 2>/dev/null || cp -f "$1" "$2"; }
log "installing the library and headers into node_modules/@tensorflow/tfjs-node/deps"
rm -rf "$PKG_DIR/deps"
mkdir -p "$PKG_DIR/deps/lib"
cp -a --link "$extract_dir/include" "$PKG_DIR/deps/include" 2>/dev/null ||
  { rm -rf "$PKG_DIR/deps/include"; cp -a "$extract_dir/include" "$PKG_DIR/deps/include"; }
place "$extract_dir/lib/libtensorflow_cc.so.2" "$PKG_DIR/deps/lib/libtensorflow.so.2"
place "$extract_dir/lib/libtensorflow_framework.so.2" "$PKG_DIR/deps/lib/libtensorflow_framework.so.2"
ln -sfn libtensorflow.so.2 "$PKG_DIR/deps/lib/libtensorflow.so"
ln -sfn libtensorflow.so.2 "$PKG_DIR/deps/lib/libtensorflow_cc.so.2"
ln -sfn libtensorflow_framework.so.2 "$PKG_DIR/deps/lib/libtensorflow_framework.so"

# d4. Where tfjs-node's loader looks for the addon (node-pre-gyp's find() on its package.json:
# lib/napi-v<highest N-API version of binary.napi_versions that this Node supports>/).
read -r module_name napi module_dir binding_path < <(cd "$PKG_DIR" && node -e '
  const path = require("path");
  const pj = require("./package.json");
  const napi = Math.max(...pj.binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
  const dir = path.resolve(pj.binary.module_path.replace("{napi_build_version}", String(napi)));
  let found = path.join(dir, pj.binary.module_name + ".node");
  try { found = require("@mapbox/node-pre-gyp").find(path.resolve("package.json")); } catch {}
  console.log(pj.binary.module_name, napi, dir, found);
') || die "cannot read binary.module_name/module_path/napi_versions from tfjs-node's package.json"

# d5. npm's own node-gyp: npm sets npm_config_node_gyp inside `npm run`; else the copy bundled
# next to the npm CLI; else one on PATH. (`npm exec node-gyp` could try the registry.)
node_gyp=${npm_config_node_gyp:-}
if [[ -z $node_gyp || ! -f $node_gyp ]]; then
  node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
fi
if [[ ! -f $node_gyp ]]; then
  node_gyp=$(command -v node-gyp || true)
  [[ -n $node_gyp ]] || die "cannot find node-gyp (normally bundled with npm)"
fi
node_gyp=$(readlink -f "$node_gyp")

# Node's headers: npm's nodedir setting, else those next to the node binary (distro Node keeps
# them in /usr/include/node); else node-gyp's own cache or download.
nodedir=${npm_config_nodedir:-}
if [[ -z $nodedir ]]; then
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [[ -f $prefix/include/node/node_api.h ]] && nodedir=$prefix
fi
gyp_args=(rebuild --jobs=max --module_name="$module_name" --module_path="$module_dir" --napi_build_version="$napi")
[[ -n $nodedir ]] && gyp_args+=(--nodedir="$nodedir")

build_log=$CACHE_DIR/tfjs-node-build.log
log "building the addon with node-gyp $(node "$node_gyp" --version 2>/dev/null | tr -d v)${nodedir:+ (Node headers from $nodedir)} for N-API $napi (log: ${build_log#"$ROOT"/})"
if ! (cd "$PKG_DIR" && node "$node_gyp" "${gyp_args[@]}") >"$build_log" 2>&1; then
  tail -n 30 "$build_log" | sed 's/^/    /' >&2
  die "building the addon failed; full log in $build_log"
fi
if [[ ! -f $binding_path ]]; then
  mkdir -p "$(dirname "$binding_path")"
  cp -f "$PKG_DIR/build/Release/$module_name.node" "$binding_path"
fi
log "addon installed at ${binding_path#"$ROOT"/}"

# (e) Check it.
if ! verify; then
  die "the addon was built but loading it failed (see above)"
fi
log "done in $((SECONDS - start))s"
