#!/usr/bin/env bash
# `npm run setup:tensorflow -- --gpu --wheel-dir DIR`: builds @tensorflow/tfjs-node-gpu's addon
# against the CUDA build of TensorFlow, offline, from a folder of Python wheels:
#   - tensorflow-2.21.0-cp3XX-cp3XX-manylinux_*_x86_64.whl (the CUDA build: its C library), and
#   - the CUDA 12 runtime wheels its METADATA requires for the `and-cuda` extra (nvidia-*-cu12:
#     cuBLAS, cuDNN, cuFFT, …), read from that METADATA here, not from a list kept in this script;
#   - optionally tensorflow-tfjs-node-gpu-4.22.0.tgz (`npm pack @tensorflow/tfjs-node-gpu@4.22.0`)
#     for machines that cannot reach the npm registry; else it is fetched with `npm pack`.
# On a machine with internet:  pip download --only-binary=:all: --platform manylinux_2_27_x86_64 \
#   --python-version 3.11 -d DIR "tensorflow[and-cuda]==2.21.0"   (the other wheels it adds are ignored)
#
# Where things go (the CPU build in node_modules/@tensorflow/tfjs-node is left as it is):
#   node_modules/@tensorflow/tfjs-node-gpu/          the npm package, unpacked from its tarball (its
#                                                    dependencies are tfjs-node's, checked identical)
#     deps/lib/libtensorflow*.so.2                   TensorFlow's C library, as for the CPU build
#     deps/nvidia/<pkg>/lib/*.so*                    the CUDA runtime, laid out as pip lays out
#                                                    site-packages/nvidia beside site-packages/tensorflow
#     lib/napi-v8/tfjs_binding.node                  the addon
#     grn-build.json                                 which wheels it was built from
# Why that layout: TensorFlow dlopens libcudart.so.12, libcudnn.so.9, … by name from
# libtensorflow_framework.so.2, so the dynamic linker searches that library's own RUNPATH. The CUDA
# wheel's libraries carry RUNPATH entries $ORIGIN/../nvidia/<pkg>/lib (TensorFlow's
# cuda_rpath_flags) for pip's layout; deps/lib and deps/nvidia reproduce it, so no LD_LIBRARY_PATH
# is needed. The script reads that RUNPATH with readelf; for any deps/nvidia/<pkg>/lib it does not
# name (TensorFlow's BUILD files leave cuDNN's rpath commented out), the addon itself is linked
# against that folder's libraries with its own RUNPATH naming it: they are then loaded with the
# addon, and glibc hands TensorFlow's later dlopen("libcudnn.so.9") the loaded library by its SONAME.
# The project's tensorflow backend loads tfjs-node-gpu before tfjs-node when its addon is built.
#
# Options:
#   --wheel-dir DIR      the folder of wheels (required)
#   --accept-cpu-wheel   rehearsal: take tensorflow_cpu when there is no CUDA build and build with
#                        the and-cuda wheels that are there (none: a warning); the addon loads with
#                        GPU: false. For testing this route on machines without the CUDA wheels.
#   --check              check the wheel folder and print what would be used; build nothing
#   --prefix DIR         install into DIR/node_modules (tests); the backend loads the project's only
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TF_VERSION=2.21.0
# The npm tarball's integrity as the registry publishes it (`npm view @tensorflow/tfjs-node-gpu@4.22.0
# dist.integrity`): a tarball from the wheel folder is checked against it.
TFJS_VERSION=4.22.0
TFJS_INTEGRITY=sha512-p//NN6DGiN4hInUmIkRffaFVMcdTREUMjPyjW04J7OXvB2zBlQimj61eFKSgRrH3f5TnOfKzb0n56he/B6a4bw==
CACHE_DIR=$ROOT/.grn/cache
LOG_NAME=setup-tensorflow-gpu
# shellcheck source=lib/tensorflow-addon.sh
source "$ROOT/scripts/lib/tensorflow-addon.sh"
# A step that fails without its own message still says where.
trap 'log "ERROR: unexpected failure at ${BASH_SOURCE[0]#"$ROOT"/}:$LINENO"' ERR

usage="usage: npm run setup:tensorflow -- --gpu --wheel-dir DIR [--accept-cpu-wheel] [--check] [--prefix DIR]"
wheel_dir='' accept_cpu='' check_only='' prefix=$ROOT
while [[ $# -gt 0 ]]; do
  case $1 in
    --wheel-dir) [[ $# -ge 2 ]] || die "--wheel-dir needs a folder ($usage)"; wheel_dir=$2; shift 2 ;;
    --accept-cpu-wheel) accept_cpu=--accept-cpu-wheel; shift ;;
    --check) check_only=1; shift ;;
    --prefix) [[ $# -ge 2 ]] || die "--prefix needs a folder ($usage)"; prefix=$(realpath -m "$2"); shift 2 ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done
[[ -n $wheel_dir ]] ||
  die "--gpu needs --wheel-dir DIR: a folder with the tensorflow==$TF_VERSION wheel (CUDA build, manylinux x86_64) and the nvidia-*-cu12 wheels of its and-cuda extra ($usage)"
start=$SECONDS

# 1. The wheels (scripts/tf_wheels.py): which tensorflow wheel, which nvidia wheels its METADATA names.
messages=$(mktemp)
trap 'rm -f "$messages"' EXIT
if ! plan=$(python3 "$ROOT/scripts/tf_wheels.py" select "$wheel_dir" --version "$TF_VERSION" $accept_cpu 2>"$messages"); then
  sed "s/^/$LOG_NAME: /; \$s/^$LOG_NAME: /$LOG_NAME: ERROR: /" "$messages" >&2
  exit 1
fi
sed "s/^/$LOG_NAME: /" "$messages" >&2
tf_wheel='' tf_kind='' nvidia_wheels=()
while IFS=$'\t' read -r what a b; do
  case $what in
    tensorflow) tf_wheel=$(realpath "$a"); tf_kind=$b ;;
    nvidia) nvidia_wheels+=("$(realpath "$b")") ;;
  esac
done <<<"$plan"
log "TensorFlow: $(basename "$tf_wheel") ($([[ $tf_kind == cuda ]] && echo "CUDA build" || echo "CPU build: rehearsal"))"
log "CUDA runtime wheels (the and-cuda extra of its METADATA): ${#nvidia_wheels[@]}$( ((${#nvidia_wheels[@]})) && printf ' (%s)' "$(for w in "${nvidia_wheels[@]}"; do basename "$w"; done | paste -sd, -)")"
if [[ -n $check_only ]]; then
  printf '%s\n' "$plan"
  exit 0
fi

check_build_tools
CPU_PKG=$ROOT/node_modules/@tensorflow/tfjs-node
[[ -f $CPU_PKG/package.json ]] ||
  die "node_modules/@tensorflow/tfjs-node is missing: run \`npm ci\` first (without --omit=optional); tfjs-node-gpu uses its dependencies"
cpu_version=$(node -p "require('$CPU_PKG/package.json').version")
[[ $cpu_version == "$TFJS_VERSION" ]] ||
  die "node_modules/@tensorflow/tfjs-node is $cpu_version; this script installs tfjs-node-gpu $TFJS_VERSION, whose dependencies must be the same release's"
PKG_DIR=$prefix/node_modules/@tensorflow/tfjs-node-gpu
mkdir -p "$CACHE_DIR" "$(dirname "$PKG_DIR")"

# What this build is made of; a package built from the same wheels that still loads is kept.
build_info=$(node -e 'console.log(JSON.stringify({
  "tfjs-node-gpu": process.argv[1], tensorflow_wheel: process.argv[2], cuda: process.argv[3] === "cuda",
  nvidia_wheels: process.argv.slice(4) }, null, 2))' "$TFJS_VERSION" "$(basename "$tf_wheel")" "$tf_kind" \
  $(for w in "${nvidia_wheels[@]}"; do basename "$w"; done))
if [[ -f $PKG_DIR/grn-build.json && $(cat "$PKG_DIR/grn-build.json") == "$build_info" ]] &&
    summary=$(TF_CPP_MIN_LOG_LEVEL=3 verify_addon "$PKG_DIR" 2>/dev/null); then
  log "${PKG_DIR#"$ROOT"/} is already built from these wheels; nothing to do ($summary)"
  exit 0
fi

# 2. The npm package: its tarball from the wheel folder, else the cache, else the registry.
tgz_name=tensorflow-tfjs-node-gpu-$TFJS_VERSION.tgz
if [[ -f $wheel_dir/$tgz_name ]]; then
  tgz=$(realpath "$wheel_dir/$tgz_name")
elif [[ -f $CACHE_DIR/$tgz_name ]]; then
  tgz=$CACHE_DIR/$tgz_name
else
  log "fetching @tensorflow/tfjs-node-gpu@$TFJS_VERSION with npm pack (no $tgz_name in $wheel_dir)"
  (cd "$CACHE_DIR" && npm pack --silent "@tensorflow/tfjs-node-gpu@$TFJS_VERSION" >/dev/null) ||
    die "npm could not fetch @tensorflow/tfjs-node-gpu@$TFJS_VERSION; on a machine that can, run \`npm pack @tensorflow/tfjs-node-gpu@$TFJS_VERSION\` and put $tgz_name into $wheel_dir"
  tgz=$CACHE_DIR/$tgz_name
fi
integrity=$(node -e 'const h = require("crypto").createHash("sha512");
  h.update(require("fs").readFileSync(process.argv[1])); console.log("sha512-" + h.digest("base64"))' "$tgz")
[[ $integrity == "$TFJS_INTEGRITY" ]] ||
  die "$tgz is not the published @tensorflow/tfjs-node-gpu $TFJS_VERSION (integrity $integrity, expected $TFJS_INTEGRITY)"
log "installing ${tgz#"$ROOT"/} into ${PKG_DIR#"$ROOT"/} (its install script, which downloads a libtensorflow for system CUDA 11, is not run)"
unpack=$(mktemp -d "$(dirname "$PKG_DIR")/.tfjs-node-gpu.XXXXXX")
tar -xzf "$tgz" -C "$unpack" || die "cannot unpack $tgz"
rm -rf "$PKG_DIR"
mv "$unpack/package" "$PKG_DIR"
rmdir "$unpack"

# Its dependencies are tfjs-node's (the same release declares the same ones; checked here). One that
# npm nested under tfjs-node/node_modules is linked into tfjs-node-gpu/node_modules.
node -e '
  const { createRequire } = require("module");
  const fs = require("fs"), path = require("path");
  const [cpuDir, gpuDir] = process.argv.slice(1);
  const cpu = require(cpuDir + "/package.json"), gpu = require(gpuDir + "/package.json");
  for (const [dep, range] of Object.entries(gpu.dependencies)) {
    if (cpu.dependencies[dep] !== range) {
      throw new Error(`tfjs-node-gpu depends on ${dep}@${range}, tfjs-node on ${cpu.dependencies[dep] ?? "nothing"}`);
    }
    const want = path.dirname(createRequire(cpuDir + "/package.json").resolve(dep + "/package.json"));
    let got = null;
    try { got = path.dirname(createRequire(gpuDir + "/package.json").resolve(dep + "/package.json")); } catch {}
    if (got !== want) {
      const link = path.join(gpuDir, "node_modules", dep);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(want, link);
    }
  }
' "$CPU_PKG" "$PKG_DIR" || die "cannot give ${PKG_DIR#"$ROOT"/} the dependencies of node_modules/@tensorflow/tfjs-node (above)"

# 3. TensorFlow's C library and headers, as for the CPU build.
extract_dir=$(extract_tf_wheel "$tf_wheel")
install_tf_deps "$PKG_DIR" "$extract_dir"

# 4. The CUDA runtime: each wheel's nvidia/ tree (libraries, ptxas, libdevice; no headers),
# extracted once into the cache and hard-linked into deps/nvidia. The stamp holds the wheel's size
# and time, so a wheel replaced under the same name is extracted again.
mkdir -p "$PKG_DIR/deps/nvidia"
for wheel in "${nvidia_wheels[@]}"; do
  dir=$CACHE_DIR/$(basename "$wheel" .whl)
  stamp=$(stat -L -c '%s %Y' "$wheel")
  if [[ ! -f $dir/.complete || $(cat "$dir/.complete") != "$stamp" ]]; then
    log "extracting $(basename "$wheel")"
    rm -rf "$dir" "$dir.tmp"
    python3 "$ROOT/scripts/tf_wheels.py" extract-nvidia "$wheel" "$dir.tmp" || die "cannot extract $wheel"
    printf '%s\n' "$stamp" >"$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
  fi
  cp -a --link "$dir/nvidia/." "$PKG_DIR/deps/nvidia/" 2>/dev/null || cp -a "$dir/nvidia/." "$PKG_DIR/deps/nvidia/"
done

# 5. Will TensorFlow find them? The library defining tsl::internal::DsoLoader does the dlopen calls,
# so its RUNPATH ($ORIGIN = deps/lib) must name each deps/nvidia/<pkg>/lib; the folders it does not
# name are linked into the addon (preload_flags, used in step 6).
preload_flags=''
lib_dirs=()
for dir in "$PKG_DIR"/deps/nvidia/*/lib; do if [[ -d $dir ]]; then lib_dirs+=("$dir"); fi; done
if ((${#lib_dirs[@]} == 0)); then
  log "no CUDA runtime libraries to place (rehearsal)"
elif ! command -v readelf >/dev/null || ! command -v nm >/dev/null; then
  log "warning: readelf/nm not found (binutils): cannot check that TensorFlow's RUNPATH names deps/nvidia/*/lib"
else
  loader=libtensorflow_framework.so.2
  # grep -c reads all of nm's output (grep -q would stop early, and pipefail would see nm's SIGPIPE).
  nm -D --defined-only "$PKG_DIR/deps/lib/$loader" 2>/dev/null | grep -c DsoLoader >/dev/null || loader=libtensorflow.so.2
  runpath=$(readelf -d "$PKG_DIR/deps/lib/$loader" | sed -n 's/.*(RUNPATH)[^[]*\[\(.*\)\]$/\1/p')
  named=$(tr ':' '\n' <<<"$runpath" | sed "s|\\\$ORIGIN|$PKG_DIR/deps/lib|; s|\\\${ORIGIN}|$PKG_DIR/deps/lib|" |
    while read -r entry; do if [[ -n $entry ]]; then realpath -m "$entry"; fi; done)
  unnamed=()
  for dir in "${lib_dirs[@]}"; do grep -qxF "$dir" <<<"$named" || unnamed+=("${dir#"$PKG_DIR"/}"); done
  if ((${#unnamed[@]} == 0)); then
    log "the RUNPATH of $loader names all ${#lib_dirs[@]} deps/nvidia/*/lib folders"
  else
    [[ $PKG_DIR != *[[:space:]]* ]] || die "the path $PKG_DIR has a space: the addon's link flags cannot carry it"
    # make turns $$ into $, the shell \$ into $: the rpath is the literal $ORIGIN/../../deps/...
    # (as binding.gyp writes its own). -l:NAME records the library's SONAME as DT_NEEDED. libnvblas
    # is left out: it replaces the BLAS of the whole process and is nothing TensorFlow loads.
    preload_flags='-Wl,--no-as-needed'
    preloaded=0
    for rel in "${unnamed[@]}"; do
      preload_flags+=" -Wl,-rpath,\\\$\$ORIGIN/../../$rel -L$PKG_DIR/$rel"
      for lib in "$PKG_DIR/$rel"/lib*.so.*; do
        if [[ -f $lib && $(basename "$lib") != libnvblas* ]]; then preload_flags+=" -l:$(basename "$lib")"; preloaded=$((preloaded + 1)); fi
      done
    done
    log "the RUNPATH of $loader (${runpath:-none}) does not name ${unnamed[*]}: the addon links those $preloaded libraries itself (its RUNPATH names them), so they are loaded before TensorFlow asks for them by name"
  fi
fi

# 6. The addon, against deps/include and deps/lib (node-gyp's Makefile adds $LDFLAGS to the link).
if [[ -n $preload_flags ]]; then export LDFLAGS="${LDFLAGS:-} $preload_flags"; fi
build_addon "$PKG_DIR" "$CACHE_DIR/tfjs-node-gpu-build.log"

# 7. Check it: it loads, computes, and (a CUDA build on a machine with a GPU) uses the GPU.
summary=$(verify_addon "$PKG_DIR") || die "the addon was built but loading it failed (see above)"
log "$summary"
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
if [[ $summary == *"GPU: true"* ]]; then
  log "TensorFlow uses the GPU"
elif [[ $tf_kind == cuda && ${gpus:-0} -gt 0 ]]; then
  die "nvidia-smi lists $gpus GPU(s) but TensorFlow did not use one; to see which library did not load: cd $ROOT && TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_MAX_VLOG_LEVEL=1 node -e \"require('$PKG_DIR')\" 2>&1 | grep -i 'dynamic library'"
elif [[ $tf_kind == cuda ]]; then
  log "no GPU here (nvidia-smi lists none): the CUDA build loads; whether it uses a GPU shows where one is (\`grn backends\`: GPU: true)"
else
  log "rehearsal: the CPU wheel's build loads through the GPU route (GPU: false, as expected)"
fi
printf '%s\n' "$build_info" >"$PKG_DIR/grn-build.json"
log "done in $((SECONDS - start))s"
