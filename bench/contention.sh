#!/bin/bash
# PyTorch's and TensorFlow's SimpleCNN step, quiet and with one busy process on the 2 cores.
cd /work/main
P=/root/torchenv/bin/python
for mode in quiet busy quiet2 busy2; do
  if [[ $mode == busy* ]]; then node -e 'for(;;){}' & hog=$!; sleep 1; fi
  t=$(printf 'run 3\nrun 3\nquit\n' | $P bench/pytorch/simplecnn_step.py 2 64 28x28x1 2>/dev/null | tail -2 | python3 -c 'import sys,json; print(" ".join(str(round(json.loads(l)["samples_per_s"])) for l in sys.stdin))')
  f=$(printf 'run 3\nrun 3\nquit\n' | node dist/bench/engine-worker.js tensorflow 64 28x28x1 2>/dev/null | tail -2 | python3 -c 'import sys,json; print(" ".join(str(round(json.loads(l)["samples_per_s"])) for l in sys.stdin))')
  echo "$mode pytorch: $t   tensorflow: $f   load: $(cut -d' ' -f1 /proc/loadavg)"
  if [[ $mode == busy* ]]; then kill $hog; wait $hog 2>/dev/null; fi
done
