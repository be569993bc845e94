"""The line protocol of the PyTorch benchmark references (simplecnn_step.py, text_models.py):
one JSON line when ready, then per `run SECONDS` line one JSON line of samples/s over at least two
steps and about SECONDS; other commands by name; `quit` (or end of input) ends it."""
import json
import sys
import time


def serve_blocks(step, batch, ready, commands=None):
    print(json.dumps({"ready": True, **ready}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if commands and words[0] in commands:
            print(json.dumps(commands[words[0]](*words[1:])), flush=True)
            continue
        seconds = float(words[1])
        steps = 0
        start = time.perf_counter()
        while steps < 2 or time.perf_counter() - start < seconds:
            step()
            steps += 1
        print(json.dumps({"samples_per_s": steps * batch / (time.perf_counter() - start), "steps": steps}), flush=True)
