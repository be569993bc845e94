# Steps shared by scripts/setup-tensorflow.sh (CPU) and scripts/setup-tensorflow-gpu.sh (CUDA):
# extract TensorFlow's C library from a wheel, lay it out in a tfjs-node package's deps/, compile
# the package's addon against it, and check that it loads. Sourced, not run; the caller sets ROOT,
# CACHE_DIR and LOG_NAME (the prefix of every message).

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Loads a tfjs-node package (a name resolved from the project root, or a package folder), runs a
# small op and checks that the project's tfjs-core sees the backend. Prints one summary line.
verify_addon() {
  (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1} node -e '
    const pkg = process.argv[1];
    const tf = require(pkg);
    const core = require("@tensorflow/tfjs-core");
    const binding = tf.backend().binding;
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
    if (y[0] !== 17 || y[1] !== 39) throw new Error("wrong matMul result: " + Array.from(y));
    if (core.getBackend() !== "tensorflow") {
      throw new Error("the project'"'"'s @tensorflow/tfjs-core does not see the tensorflow backend " +
        "(" + pkg + " resolved another copy of tfjs-core; check `npm ls @tensorflow/tfjs-core`)");
    }
    console.log(`${require(pkg + "/package.json").name} ${tf.version["tfjs-node"]}, TensorFlow C library ${binding.TF_Version}, ` +
      `backend ${core.getBackend()}, GPU: ${binding.isUsingGpuDevice()}, matMul ok`);
  ' "$1")
}

# The offline route compiles C++ here.
check_build_tools() {
  [[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
    die "the offline route supports Linux x86_64 only (this is $(uname -s) $(uname -m))"
  local tool
  for tool in python3 make c++; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "'$tool' not found: the addon is compiled here (Debian/Ubuntu: apt-get install build-essential python3 python3-pip)"
  done
}

# Extracts the two libraries and the C headers the addon includes from a TensorFlow wheel into
# $CACHE_DIR/<wheel name>/ (cached per wheel; a stamp file marks a complete extraction) and prints
# that folder.
extract_tf_wheel() {
  local wheel=$1 dir
  dir=$CACHE_DIR/$(basename "$wheel" .whl)
  if [[ -f $dir/.complete ]]; then
    log "reusing the extracted libraries and headers in ${dir#"$ROOT"/}"
  else
    log "extracting libtensorflow_cc, libtensorflow_framework and the C headers from $(basename "$wheel") (~850 MB)"
    rm -rf "$dir" "$dir.tmp"
    python3 "$ROOT/scripts/tf_wheels.py" extract-tf "$wheel" "$dir.tmp" || die "cannot extract $wheel"
    local header
    for header in tensorflow/c/c_api.h tensorflow/c/eager/c_api.h tensorflow/core/platform/ctstring_internal.h; do
      [[ -f $dir.tmp/include/$header ]] || die "the wheel $wheel lacks include/$header"
    done
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}

# Hard links (no extra disk) when the cache is on the same filesystem, copies otherwise.
place() { ln -f "$1" "$2" 2>/dev/null || cp -f "$1" "$2"; }
place_tree() { cp -a --link "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }; }

# Lays out PKG/deps as binding.gyp expects: deps/include and deps/lib/libtensorflow{,_framework}.so.
# The wheel's library has the SONAME libtensorflow_cc.so.2, so the addon records that name and
# finds it at run time through its rpath ($ORIGIN/../../deps/lib): hence the extra link.
install_tf_deps() {
  local pkg=$1 extracted=$2
  log "installing the library and headers into ${pkg#"$ROOT"/}/deps"
  rm -rf "$pkg/deps"
  mkdir -p "$pkg/deps/lib"
  place_tree "$extracted/include" "$pkg/deps/include"
  place "$extracted/lib/libtensorflow_cc.so.2" "$pkg/deps/lib/libtensorflow.so.2"
  place "$extracted/lib/libtensorflow_framework.so.2" "$pkg/deps/lib/libtensorflow_framework.so.2"
  ln -sfn libtensorflow.so.2 "$pkg/deps/lib/libtensorflow.so"
  ln -sfn libtensorflow.so.2 "$pkg/deps/lib/libtensorflow_cc.so.2"
  ln -sfn libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"
}

# Compiles PKG's addon with npm's node-gyp and puts it where the package's loader looks for it
# (node-pre-gyp's find() on its package.json: lib/napi-v<highest N-API version of
# binary.napi_versions that this Node supports>/). Prints that path.
build_addon() {
  local pkg=$1 build_log=$2 module_name napi module_dir binding_path
  read -r module_name napi module_dir binding_path < <(cd "$pkg" && node -e '
    const path = require("path");
    const pj = require("./package.json");
    const napi = Math.max(...pj.binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
    const dir = path.resolve(pj.binary.module_path.replace("{napi_build_version}", String(napi)));
    let found = path.join(dir, pj.binary.module_name + ".node");
    try { found = require("@mapbox/node-pre-gyp").find(path.resolve("package.json")); } catch {}
    console.log(pj.binary.module_name, napi, dir, found);
  ') || die "cannot read binary.module_name/module_path/napi_versions from $pkg/package.json"

  # npm's own node-gyp: npm sets npm_config_node_gyp inside `npm run`; else the copy bundled next
  # to the npm CLI; else one on PATH. (`npm exec node-gyp` could try the registry.)
  local node_gyp=${npm_config_node_gyp:-}
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
  local nodedir=${npm_config_nodedir:-} prefix
  if [[ -z $nodedir ]]; then
    prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    [[ -f $prefix/include/node/node_api.h ]] && nodedir=$prefix
  fi
  local gyp_args=(rebuild --jobs=max --module_name="$module_name" --module_path="$module_dir" --napi_build_version="$napi")
  [[ -n $nodedir ]] && gyp_args+=(--nodedir="$nodedir")

  log "building the addon with node-gyp $(node "$node_gyp" --version 2>/dev/null | tr -d v)${nodedir:+ (Node headers from $nodedir)} for N-API $napi (log: ${build_log#"$ROOT"/})"
  if ! (cd "$pkg" && node "$node_gyp" "${gyp_args[@]}") >"$build_log" 2>&1; then
    tail -n 30 "$build_log" | sed 's/^/    /' >&2
    die "building the addon failed; full log in $build_log"
  fi
  if [[ ! -f $binding_path ]]; then
    mkdir -p "$(dirname "$binding_path")"
    cp -f "$pkg/build/Release/$module_name.node" "$binding_path"
  fi
  log "addon installed at ${binding_path#"$ROOT"/}"
}
