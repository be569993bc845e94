"""PyTorch reference for `npm run bench -- engine` and scripts/device-check.sh: the original's
SimpleCNN training step.

Started once by the benchmark and driven over stdin/stdout so that its blocks interleave with the
TensorFlow.js blocks (the machine's noise hits both alike) without paying Python's start-up per
block. Protocol: it prints one JSON line when ready, then answers each `run SECONDS` line with one
JSON line of measured samples/s, each `matmul N` line with the GFLOP/s of an NxN matmul; `quit`
ends it.

Usage: simplecnn_step.py [THREADS] [BATCH] [HxWxC] [DEVICE]; DEVICE is a torch device, `cpu`
(default) or `cuda`/`cuda:N` for the GPU check's ratio against WebGPU on the same card.
"""
import os
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


def synchronize(device):
    """CUDA runs kernels asynchronously: a timing must wait for them."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(n, device):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.mm(a, b)
    synchronize(device)
    reps = 0
    start = time.perf_counter()
    while reps < 3 or time.perf_counter() - start < 1.0:
        torch.mm(a, b)
        reps += 1
        synchronize(device)
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    # HxWxC as the TypeScript side names shapes (NHWC); torch takes NCHW.
    height, width, channels = (int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else "28x28x1").split("x"))
    device = torch.device(sys.argv[4] if len(sys.argv) > 4 else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit(f"simplecnn_step.py: device {device} asked for, but torch {torch.__version__} sees no CUDA device")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SimpleCNN(channels=channels, size=height).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, channels, height, width, device=device)
    y = (torch.arange(batch) % 10).to(device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # the training loop reads the loss every step too

    for _ in range(3):
        step()
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    serve_blocks(
        step,
        batch,
        {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            # Whether convolutions can go through oneDNN (mkldnn) and whether that path is enabled.
            "mkldnn_available": torch.backends.mkldnn.is_available(),
            "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
            "environment": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")},
            "batch": batch,
            "device": str(device),
            "device_name": device_name,
        },
        {"matmul": lambda n: {"gflops": matmul_gflops(int(n), device)}},
    )

if __name__ == "__main__":
    main()
