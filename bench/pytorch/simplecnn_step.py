"""PyTorch reference for `npm run bench -- engine`: the original's SimpleCNN training step.

Started once by the benchmark and driven over stdin/stdout so that its blocks interleave with the
TensorFlow.js blocks (the machine's noise hits both alike) without paying Python's start-up per
block. Protocol: it prints one JSON line when ready, then answers each `run SECONDS` line with one
JSON line of measured samples/s, each `matmul N` line with the GFLOP/s of an NxN matmul; `quit`
ends it.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from blocks import serve_blocks


class SimpleCNN(nn.Module):
    def __init__(self, channels=1, size=28, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (size // 4) * (size // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def matmul_gflops(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    reps = 0
    start = time.perf_counter()
    while reps < 3 or time.perf_counter() - start < 1.0:
        torch.mm(a, b)
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    # HxWxC as the TypeScript side names shapes (NHWC); torch takes NCHW.
    height, width, channels = (int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else "28x28x1").split("x"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SimpleCNN(channels=channels, size=height)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, channels, height, width)
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # the training loop reads the loss every step too

    for _ in range(3):
        step()
    serve_blocks(
        step,
        batch,
        {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": batch},
        {"matmul": lambda n: {"gflops": matmul_gflops(int(n))}},
    )

if __name__ == "__main__":
    main()
