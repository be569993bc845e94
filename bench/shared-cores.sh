#!/usr/bin/env bash
# Two CPU trainers at once on this machine (what two local workers, or two CPU slots, run): the
# tensorflow backend's SimpleCNN step in two processes side by side, each with TensorFlow's pools
# at THREADS threads, for each THREADS in $@ (default: 1, then every core), ROUNDS times (env,
# default 3). Prints each round's two samples/s and their total. Run `npm run build` first.
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
settings=("$@")
[[ ${#settings[@]} -gt 0 ]] || settings=(1 "$(nproc)")
block() { printf 'run 6\nquit\n' | TF_NUM_INTRAOP_THREADS=$1 TF_NUM_INTEROP_THREADS=$1 node dist/bench/engine-worker.js tensorflow 64 28x28x1 2>/dev/null | tail -1 | python3 -c 'import sys,json; print(round(json.loads(sys.stdin.read())["samples_per_s"]))'; }
for round in $(seq "$ROUNDS"); do
  for t in "${settings[@]}"; do
    a=$(mktemp) b=$(mktemp)
    block "$t" >"$a" & block "$t" >"$b" & wait
    echo "round $round, $t thread(s) each: $(cat "$a") + $(cat "$b") = $(($(cat "$a") + $(cat "$b"))) samples/s   load: $(cut -d' ' -f1 /proc/loadavg)"
    rm -f "$a" "$b"
  done
done
