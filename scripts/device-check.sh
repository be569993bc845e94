#!/usr/bin/env bash
# scripts/device-check.sh [--rehearse] [--out FILE] [--pack DIR] [--steps N] [--sweep-steps N]
#                         [--batch B] [--test-limit N] [--probe-seconds S]
#
# The GPU check of issue 17, in one go (at most 8 minutes) on a bare Linux x86-64 machine with an
# NVIDIA GPU, its driver and Python with PyTorch (CUDA), and nothing else: no Node, no npm, no
# internet. It runs from the folder scripts/device-pack.sh assembles (--pack, default: the folder
# this script is in): the worker bundle, MNIST's four .gz files, the Vulkan loader's .deb packages
# and the PyTorch reference script. In order:
#   1. unpacks the bundle (tar with xz, else Python's tarfile);
#   2. makes Vulkan usable: the loader from .gl/*.deb when the machine has none (dpkg -x into /),
#      and NVIDIA's ICD files under /usr/local/nvidia when none is registered;
#   3. lists the GPUs (nvidia-smi) and the backends and WebGPU adapters Dawn sees (grn backends
#      --json, with a throughput probe of each);
#   4. trains SimpleCNN on MNIST with --backend webgpu for --steps steps (grn train);
#   5. runs the same SimpleCNN step in PyTorch on CUDA (bench/pytorch/simplecnn_step.py) for the ratio;
#   6. runs a 4-cell sweep (sgd, adam x seeds 1, 2; webgpu) through `grn worker --gpus all` on the
#      bundled nats-server, sampling `grn nodes --json` (the registry), each trainer's
#      CUDA_VISIBLE_DEVICES (/proc) and nvidia-smi's VRAM every second;
#   7. writes every figure into ONE JSON file: $OUT/device-check.json when OUT is set, else --out.
# Every step is bounded by `timeout` (and all of them by the 8 minutes); a step that fails or times
# out is recorded in the JSON with its exit code and the end of its output, and the others go on.
#
# --rehearse: the same on a machine without a GPU, which is how the project tests this script:
# WebGPU on Mesa's llvmpipe (software), PyTorch on the CPU (recorded as unavailable when it cannot be
# imported), a stand-in nvidia-smi with one pretend GPU, and nothing installed into / (the .deb
# packages are not unpacked). Its figures say nothing about a GPU; its JSON has "mode": "rehearsal".
set -uo pipefail # no -e: a failing step is recorded, not fatal

started_ms=$(date +%s%3N)
budget_s=${GRN_CHECK_BUDGET_S:-440} # 8 minutes, less the worker's drain (30 s at most) and the summary
deadline=$(($(date +%s) + budget_s))

mode=gpu out_arg= pack= steps=500 sweep_steps=100 batch=64 test_limit=2000 probe_seconds=5
usage() { echo "usage: $0 [--rehearse] [--out FILE] [--pack DIR] [--steps N] [--sweep-steps N] [--batch B] [--test-limit N] [--probe-seconds S]" >&2; exit 2; }
number() { case $2 in '' | *[!0-9]*) echo "device-check: $1 needs a whole number, got '$2'" >&2; exit 2 ;; esac; }
while [ $# -gt 0 ]; do
  case $1 in
    --rehearse) mode=rehearsal; shift ;;
    --out) out_arg=${2:-}; shift 2 || usage ;;
    --pack) pack=${2:-}; shift 2 || usage ;;
    --steps) number "$1" "${2:-}"; steps=$2; shift 2 ;;
    --sweep-steps) number "$1" "${2:-}"; sweep_steps=$2; shift 2 ;;
    --batch) number "$1" "${2:-}"; batch=$2; shift 2 ;;
    --test-limit) number "$1" "${2:-}"; test_limit=$2; shift 2 ;;
    --probe-seconds) number "$1" "${2:-}"; probe_seconds=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "device-check: unknown argument '$1'" >&2; usage ;;
  esac
done
json=${OUT:+$OUT/device-check.json}
json=${json:-$out_arg}
[ -n "$json" ] || { echo "device-check: where should the JSON go? set OUT=DIR or give --out FILE" >&2; exit 2; }
mkdir -p "$(dirname "$json")"
pack=$(cd "${pack:-$(dirname "$0")}" && pwd -P) || { echo "device-check: no pack folder" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/grn-device-check.XXXXXX")
steps_file=$work/steps.tsv
: >"$steps_file"
say() { echo "device-check: $*" >&2; }
say "$mode run from $pack, working in $work, JSON to $json"

# step NAME LIMIT_S COMMAND...: runs COMMAND (an executable, or `bash -c` of an exported function)
# with a timeout of LIMIT_S, capped by what is left of the budget; its stdout goes to
# $work/NAME.out, its stderr to $work/NAME.err, and "NAME exit ms limit" to steps.tsv.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - $(date +%s)))
  if [ "$left" -lt 5 ]; then
    printf '%s\tskipped\t0\t0\n' "$name" >>"$steps_file"
    say "$name: skipped (the 8-minute budget is spent)"
    return 1
  fi
  [ "$limit" -le "$left" ] || limit=$left
  say "$name (at most ${limit}s)"
  local t0 t1 rc
  t0=$(date +%s%3N)
  timeout -k 10 "$limit" "$@" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  t1=$(date +%s%3N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$((t1 - t0))" "$limit" >>"$steps_file"
  say "$name: exit $rc in $(((t1 - t0) / 1000))s"
  return "$rc"
}

# ---- 1. the bundle -----------------------------------------------------------------------------
unpack_bundle() {
  if command -v xz >/dev/null; then
    tar -xJf "$1" -C "$2"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  fi
}
export -f unpack_bundle
step unpack 120 bash -c 'unpack_bundle "$0" "$1"' "$pack/grn-linux-x64.tar.xz" "$work"
bundle=$work/grn-linux-x64
grn=$bundle/grn
node=$bundle/bin/node

# ---- 2. Vulkan --------------------------------------------------------------------------------
vulkan_setup() {
  local pack=$1
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    echo "loader=present"
  else
    local debs=("$pack"/.gl/*.deb)
    [ -e "${debs[0]}" ] || { echo "no Vulkan loader and no $pack/.gl/*.deb to install it from" >&2; return 1; }
    for f in "${debs[@]}"; do dpkg -x "$f" / || return 1; done
    ldconfig
    echo "loader=installed from ${#debs[@]} .deb packages"
  fi
}
export -f vulkan_setup
if [ "$mode" = gpu ]; then
  step vulkan 60 bash -c 'vulkan_setup "$0"' "$pack"
  # NVIDIA's Vulkan and EGL vendor files where the driver is mounted into a container but not registered.
  if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1 && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    echo "icd=VK_DRIVER_FILES=$VK_DRIVER_FILES" >>"$work/vulkan.out"
  else
    echo "icd=$(ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep -i nvidia | head -1 || true)" >>"$work/vulkan.out"
  fi
else
  printf 'skipped=rehearsal: the machine'"'"'s own Vulkan loader and Mesa'"'"'s llvmpipe, nothing installed into /\n' >"$work/vulkan.out"
  # One pretend GPU for the worker's discovery, the VRAM sampling and the trainers' memory figures.
  mkdir -p "$work/stand-in"
  cat >"$work/stand-in/nvidia-smi" <<'SMI'
#!/bin/sh
# Stand-in nvidia-smi of device-check.sh --rehearse (like the agent tests' one): GPU 0, fixed readings.
for a in "$@"; do
  case $a in
    -L) echo "GPU 0: stand-in GPU (rehearsal) (UUID: GPU-00000000-rehearsal)"; exit 0 ;;
    --query-gpu=*) query=${a#--query-gpu=} ;;
  esac
done
[ -n "${query:-}" ] || { echo "stand-in nvidia-smi: only -L and --query-gpu=… are answered" >&2; exit 6; }
line= sep=
IFS=,
for field in $query; do
  case $field in
    index) v=0 ;; name) v='stand-in GPU (rehearsal)' ;; memory.total) v=81559 ;; memory.used) v=1024 ;;
    utilization.gpu) v=0 ;; temperature.gpu) v=40 ;; power.draw) v='[N/A]' ;; driver_version) v=rehearsal ;; *) v='[N/A]' ;;
  esac
  line=$line$sep$v
  sep=', '
done
echo "$line"
SMI
  chmod +x "$work/stand-in/nvidia-smi"
  export PATH=$work/stand-in:$PATH GRN_NVIDIA_SMI=$work/stand-in/nvidia-smi
fi

# ---- 3. what is here --------------------------------------------------------------------------
step gpus 30 nvidia-smi --query-gpu=index,name,memory.total,memory.used,driver_version --format=csv,noheader,nounits
if [ "$probe_seconds" -gt 0 ]; then
  step backends 180 "$grn" backends --json --seconds "$probe_seconds"
else
  step backends 120 "$grn" backends --json --no-probe
fi

# ---- 4. SimpleCNN on MNIST, WebGPU --------------------------------------------------------------
step train_webgpu 240 "$grn" train --dataset mnist --data-dir "$pack/mnist" --backend webgpu --optimizer sgd --seed 1 \
  --epochs 1 --batch-size "$batch" --train-limit $((steps * batch)) --test-limit "$test_limit" --out "$work/train-webgpu.json"

# ---- 5. the same step in PyTorch -----------------------------------------------------------------
torch_device=cuda
[ "$mode" = gpu ] || torch_device=cpu
# Batch 64 always: the batch of grn backends' probe, which the ratio is taken against.
printf 'run 3\nrun 3\nrun 3\nmatmul 2048\nquit\n' >"$work/pytorch.in"
step pytorch 120 bash -c 'exec python3 "$0" "$(nproc)" 64 28x28x1 "$1" <"$2"' "$pack/pytorch/simplecnn_step.py" "$torch_device" "$work/pytorch.in"

# ---- 6. a sweep through grn worker --gpus all -----------------------------------------------------
port=$("$node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null || echo 4222)
url=nats://127.0.0.1:$port
server=$work/server
step server_init 60 "$grn" server init --out "$server" --nodes gpucheck --host 127.0.0.1 --port "$port"
nats=$bundle/bin/nats-server
[ -x "$nats" ] || nats=$(command -v nats-server || echo "$nats")
"$nats" -c "$server/nats.conf" >"$work/nats-server.log" 2>&1 &
nats_pid=$!
wait_for_server() {
  for _ in $(seq 1 40); do
    "$1" nodes --server "$2" --creds "$3" --json && return 0
    sleep 0.5
  done
  return 1
}
export -f wait_for_server
step server_ready 30 bash -c 'wait_for_server "$0" "$1" "$2"' "$grn" "$url" "$server/creds/orchestrator.nk"

"$grn" worker --server "$url" --creds "$server/creds/node-gpucheck.nk" --node gpucheck --gpus all >"$work/worker.log" 2>&1 &
worker_pid=$!

cat >"$work/sweep.yaml" <<EOF
name: gpucheck
description: device-check.sh ($mode) - SimpleCNN on MNIST with WebGPU through grn worker --gpus all
grid:
  optimizer: [sgd, adam]
  dataset: [mnist]
  seed: [1, 2]
train:
  epochs: 1
  batch_size: $batch
  train_limit: $((sweep_steps * batch))
  test_limit: $test_limit
  backend: webgpu
data_root: $pack
EOF

# While the sweep runs: every second the VRAM nvidia-smi reports and each trainer's
# CUDA_VISIBLE_DEVICES (the worker's child processes, read from /proc with shell built-ins, so the
# scan costs no process per entry); every two seconds the registry, as `grn nodes --json` shows it.
sample_devices() {
  local p stat ppid env now
  while [ ! -e "$work/sampler.stop" ]; do
    now=$(date +%s%3N)
    nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits 2>/dev/null |
      sed "s/^/$now, /" >>"$work/vram.csv"
    for p in /proc/[0-9]*; do
      { read -r stat <"$p/stat"; } 2>/dev/null || continue
      stat=${stat##*) } # after the command name: state, ppid, ...
      stat=${stat#* }
      ppid=${stat%% *}
      [ "$ppid" = "$worker_pid" ] || continue
      env=$(tr '\0' '\n' <"$p/environ" 2>/dev/null | grep '^CUDA_VISIBLE_DEVICES=' || echo 'CUDA_VISIBLE_DEVICES unset')
      printf '%s\t%s\t%s\n' "$now" "${p#/proc/}" "$env" >>"$work/pinning.tsv"
    done
    sleep 1
  done
}
sample_registry() {
  local n=0
  mkdir -p "$work/nodes"
  while [ ! -e "$work/sampler.stop" ]; do
    "$grn" nodes --server "$url" --creds "$server/creds/orchestrator.nk" --json >"$work/nodes/$n.json" 2>/dev/null || rm -f "$work/nodes/$n.json"
    n=$((n + 1))
    sleep 2
  done
}
sample_devices &
devices_sampler=$!
sample_registry &
registry_sampler=$!

step sweep 300 "$grn" sweep run "$work/sweep.yaml" --server "$url" --creds "$server/creds/orchestrator.nk" --results "$work/results" --id gpucheck --json
step nodes_after 30 "$grn" nodes --server "$url" --creds "$server/creds/orchestrator.nk" --json

touch "$work/sampler.stop"
wait "$devices_sampler" "$registry_sampler" 2>/dev/null
kill -TERM "$worker_pid" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$worker_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$worker_pid" 2>/dev/null; then
  kill -KILL "$worker_pid" 2>/dev/null
  echo "killed (it had not drained 30 s after SIGTERM)" >"$work/worker.exit"
fi
wait "$worker_pid" 2>/dev/null
echo "exit=$?" >>"$work/worker.exit"
kill -TERM "$nats_pid" 2>/dev/null
wait "$nats_pid" 2>/dev/null

# ---- 7. one JSON -------------------------------------------------------------------------------
cat >"$work/summarise.mjs" <<'JS'
// Reads what the steps left in the work folder and writes the check's one JSON file.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';

const [work, out, mode, startedMs, settingsJson, pack] = process.argv.slice(2);
const settings = JSON.parse(settingsJson);
const read = (name) => (existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8') : null);
const readJson = (name) => {
  const text = read(name);
  if (text === null) return null;
  try { return JSON.parse(text); } catch { return null; }
};
const tail = (text, lines = 12) => (text ?? '').trim().split('\n').filter((l) => !/^Warning: maxDynamic/.test(l)).slice(-lines).join('\n');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };
const round = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const errors = [];

// Each step: its exit, time and, when it failed, why (the end of its stderr).
const steps = {};
for (const line of (read('steps.tsv') ?? '').split('\n').filter(Boolean)) {
  const [name, exit, ms, limit] = line.split('\t');
  const err = read(`${name}.err`);
  let status = exit === 'skipped' ? 'skipped' : exit === '0' ? 'ok' : exit === '124' || exit === '137' ? 'timed out' : 'failed';
  if (name === 'pytorch' && status === 'failed' && /No module named 'torch'|python3: (command )?not found|No such file/.test(err ?? '')) status = 'unavailable';
  steps[name] = { status, exit_code: /^\d+$/.test(exit) ? Number(exit) : null, seconds: round(Number(ms) / 1000, 2), limit_s: Number(limit) };
  if (status !== 'ok') {
    steps[name].error = status === 'timed out' ? `timed out after ${limit} s; last output: ${tail(err, 4)}` : tail(err) || tail(read(`${name}.out`));
    if (status !== 'unavailable') errors.push(`${name}: ${status}`);
  }
}
const keyValues = (text) => Object.fromEntries((text ?? '').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const gpus = (read('gpus.out') ?? '').split('\n').filter((l) => l.trim()).map((l) => {
  const [index, name, total, used, driver] = l.split(',').map((s) => s.trim());
  return { index: Number(index), name, memory_total_mb: Number(total), memory_used_mb: Number(used), driver, ...(mode === 'rehearsal' ? { stand_in: true } : {}) };
});

const backends = readJson('backends.out')?.backends ?? null;
const webgpuRow = backends?.find((b) => b.backend === 'webgpu');
const adapters = [...(webgpuRow?.detail ?? webgpuRow?.reason ?? '').matchAll(/(\d+): ([^;]+?) \((\w+)\)(?=;|$)/g)].map((m) => ({ index: Number(m[1]), name: m[2], backend: m[3] }));

function trainFigures(result) {
  if (!result) return null;
  const last = (xs) => (Array.isArray(xs) && xs.length ? xs[xs.length - 1] : null);
  const memory = last(result.memory_usage);
  return {
    status: result.status,
    backend: result.manifest?.backend,
    device: result.manifest?.device,
    gpu: result.manifest?.gpu,
    train_samples: result.manifest?.dataset?.train_samples,
    batch_size: result.manifest?.batch_size,
    steps: result.manifest?.dataset?.train_samples && result.manifest?.batch_size ? Math.ceil(result.manifest.dataset.train_samples / result.manifest.batch_size) : null,
    samples_per_s: round(last(result.samples_per_s)),
    loss: last(result.loss),
    test_loss: last(result.test_loss),
    [result.primary_metric ?? 'accuracy']: last(result[result.primary_metric ?? 'accuracy']),
    epoch_time_s: round(last(result.epoch_time), 2),
    vram_mb: Array.isArray(memory) ? memory[0] : null,
    ram_mb: Array.isArray(memory) ? memory[1] : null,
    versions: result.manifest?.versions,
  };
}
const trainWebgpu = trainFigures(readJson('train-webgpu.json'));

// PyTorch: a ready line, then one line per block.
let pytorch = { available: false, reason: steps.pytorch?.error ?? 'not run' };
const torchLines = (read('pytorch.out') ?? '').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
const ready = torchLines.find((l) => l.ready);
const blocks = torchLines.filter((l) => typeof l.samples_per_s === 'number').map((l) => l.samples_per_s);
if (ready && blocks.length) {
  pytorch = { available: true, torch: ready.torch, device: ready.device, device_name: ready.device_name, threads: ready.threads, batch: ready.batch, samples_per_s: round(median(blocks)), blocks: blocks.map((b) => round(b)), matmul_2048_gflops: round(torchLines.find((l) => l.gflops)?.gflops) };
}
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 3) : null);
const ratios = {
  // grn backends' probe: SimpleCNN steps at batch 64 on random data, as the PyTorch script does.
  webgpu_probe_vs_pytorch: ratio(webgpuRow?.samples_per_s, pytorch.samples_per_s),
  // The whole training loop on MNIST (data, metrics, telemetry), at the check's batch.
  webgpu_train_vs_pytorch: settings.batch === 64 ? ratio(trainWebgpu?.samples_per_s, pytorch.samples_per_s) : null,
};

// The sweep: outcome, each cell's result, the registry over time, pinning and VRAM.
const outcome = readJson('sweep.out');
const resultsDir = join(work, 'results', 'gpucheck');
const manifest = existsSync(join(resultsDir, 'manifest.json')) ? JSON.parse(readFileSync(join(resultsDir, 'manifest.json'), 'utf8')) : null;
const cells = (manifest?.cells ?? []).map((c) => {
  const result = c.result && existsSync(join(resultsDir, c.result)) ? JSON.parse(readFileSync(join(resultsDir, c.result), 'utf8')) : null;
  const f = trainFigures(result);
  return { cell: c.cell, status: c.status, node: c.node, attempts: c.attempts, error: c.error, backend: f?.backend ?? null, device: f?.device ?? null, gpu: f?.gpu ?? null, samples_per_s: f?.samples_per_s ?? null, vram_mb: f?.vram_mb ?? null, loss: f?.loss ?? null, accuracy: f?.accuracy ?? null };
});
const snapshots = existsSync(join(work, 'nodes')) ? readdirSync(join(work, 'nodes')).sort((a, b) => parseInt(a) - parseInt(b)).map((f) => { try { return JSON.parse(readFileSync(join(work, 'nodes', f), 'utf8')); } catch { return null; } }).filter(Boolean) : [];
const finalNodes = readJson('nodes_after.out') ?? snapshots.at(-1) ?? [];
const node = finalNodes.find((n) => n.node === 'gpucheck') ?? null;
const envByPid = new Map();
for (const line of (read('pinning.tsv') ?? '').split('\n').filter(Boolean)) {
  const [, pid, env] = line.split('\t');
  envByPid.set(Number(pid), env.startsWith('CUDA_VISIBLE_DEVICES=') ? env.slice('CUDA_VISIBLE_DEVICES='.length) : null);
}
const slots = new Map();
for (const snap of [...snapshots, finalNodes]) {
  for (const s of snap.find((n) => n.node === 'gpucheck')?.slots ?? []) {
    const entry = slots.get(s.slot) ?? { slot: s.slot, kind: s.kind, device: s.device, trainer_pids: new Set(), cells_seen: new Set() };
    if (s.trainer_pid) entry.trainer_pids.add(s.trainer_pid);
    if (s.cell) entry.cells_seen.add(s.cell);
    slots.set(s.slot, entry);
  }
}
const slotList = [...slots.values()].map((s) => {
  const visible = [...s.trainer_pids].map((pid) => (envByPid.has(pid) ? envByPid.get(pid) : undefined)).filter((v) => v !== undefined);
  return { slot: s.slot, kind: s.kind, device: s.device, trainer_pids: [...s.trainer_pids], cuda_visible_devices: [...new Set(visible)], cells_seen: [...s.cells_seen], pinned: s.kind === 'gpu' ? visible.length > 0 && visible.every((v) => v === String(s.device)) : null };
});
const vram = (read('vram.csv') ?? '').split('\n').filter(Boolean).map((l) => {
  const [t, index, used, total, util] = l.split(',').map((s) => s.trim());
  return { t_ms: Number(t) - Number(startedMs), gpu: Number(index), used_mb: Number(used), total_mb: Number(total), utilisation_pct: Number(util) };
}).filter((v) => Number.isFinite(v.used_mb));
const workerExit = keyValues(read('worker.exit'));

const sweep = {
  outcome,
  cells,
  registry: { snapshots: snapshots.length, node, gpus: node?.gpus ?? null },
  slots: slotList,
  vram: { samples: vram.length, peak_used_mb: vram.length ? Math.max(...vram.map((v) => v.used_mb)) : null, series: vram },
  worker_exit: read('worker.exit')?.trim() ?? null,
  worker_log_tail: tail(read('worker.log'), 8),
};

const gpuSlots = slotList.filter((s) => s.kind === 'gpu');
const checks = {
  webgpu_trained: trainWebgpu?.status === 'completed' && Number.isFinite(trainWebgpu?.loss),
  webgpu_on_a_gpu: trainWebgpu ? trainWebgpu.gpu === true : null,
  sweep_all_done: outcome?.counts?.done === 4,
  sweep_on_webgpu: cells.length > 0 && cells.every((c) => c.backend === 'webgpu'),
  one_slot_per_gpu: gpus.length > 0 && gpuSlots.length === gpus.length,
  trainers_pinned: gpuSlots.length > 0 && gpuSlots.every((s) => s.pinned === true),
  registry_has_vram: Array.isArray(node?.gpus) && node.gpus.length > 0 && node.gpus.every((g) => typeof g.vram_total_mb === 'number'),
  vram_sampled: vram.length > 0,
  worker_drained: workerExit.exit === '0',
};
// On a GPU every check must hold; a rehearsal has no GPU to train on.
const expected = Object.keys(checks).filter((k) => mode === 'gpu' || k !== 'webgpu_on_a_gpu');
for (const k of expected) if (checks[k] !== true) errors.push(`check ${k}: ${checks[k]}`);

const bundleFile = join(pack, 'grn-linux-x64.tar.xz');
const bundleMeta = readJson('grn-linux-x64/package.json');
const report = {
  format: 'grn.device-check/1',
  mode,
  ok: errors.length === 0,
  errors,
  started_at: new Date(Number(startedMs)).toISOString(),
  ended_at: new Date().toISOString(),
  seconds: round((Date.now() - Number(startedMs)) / 1000),
  host: { hostname: hostname(), kernel: release(), cpus: cpus().length, cpu: cpus()[0]?.model ?? null, memory_gb: round(totalmem() / 2 ** 30) },
  settings,
  bundle: { file: bundleFile, bytes: existsSync(bundleFile) ? statSync(bundleFile).size : null, version: bundleMeta?.version ?? null, git_commit: bundleMeta?.gitCommit ?? null, built: bundleMeta?.bundle ?? null },
  steps,
  checks,
  vulkan: keyValues(read('vulkan.out')),
  gpus,
  backends,
  webgpu_adapters: adapters,
  train_webgpu: trainWebgpu,
  pytorch,
  ratios,
  sweep,
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`device-check: ${report.ok ? 'ok' : `${errors.length} problem(s): ${errors.join('; ')}`} -> ${out}\n`);
JS

settings=$(printf '{"steps":%s,"sweep_steps":%s,"batch":%s,"test_limit":%s,"probe_seconds":%s}' "$steps" "$sweep_steps" "$batch" "$test_limit" "$probe_seconds")
if [ -x "$node" ] && "$node" "$work/summarise.mjs" "$work" "$json" "$mode" "$started_ms" "$settings" "$pack"; then
  say "work folder kept: $work"
  exit 0
fi
# Without the bundle's Node (it did not unpack) there is no summary but this one.
why=$(tail -c 2000 "$work/unpack.err" 2>/dev/null | tr -d '\000-\037"\\' || true)
printf '{"format":"grn.device-check/1","mode":"%s","ok":false,"errors":["no summary: the bundle did not unpack or its Node did not run"],"unpack_error":"%s","settings":%s}\n' "$mode" "$why" "$settings" >"$json"
say "no summary (see $work); wrote $json"
exit 1
