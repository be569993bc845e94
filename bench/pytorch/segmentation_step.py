"""PyTorch reference for `npm run bench -- segmentation`: one SGD training step of a segmentation model.

Usage: segmentation_step.py MODEL HEIGHT WIDTH BATCH STEPS [THREADS]
  MODEL: unet (the same network as worker/engine/models/unet.ts) or fcn-resnet50 (torchvision's
  fcn_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False), the original's).
Prints one JSON line: parameter count, milliseconds per step (median of STEPS after one warm-up
step) and samples/s; {"unavailable": reason} when torch or torchvision is missing.
"""
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as err:  # the benchmark reports it and goes on without PyTorch
    print(json.dumps({"unavailable": f"torch not importable: {err}"}), flush=True)
    sys.exit(0)


class UNet(nn.Module):
    """unet.ts: 3 levels of two 3x3 conv + ReLU (16, 32, 64), bilinear up (align_corners=False), skips, 1x1 out."""

    def __init__(self, channels=3, classes=21, base=16):
        super().__init__()
        c1, c2, c3 = base, 2 * base, 4 * base

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

        self.enc1, self.enc2, self.mid = block(channels, c1), block(c1, c2), block(c2, c3)
        self.dec2, self.dec1 = block(c3 + c2, c2), block(c2 + c1, c1)
        self.out = nn.Conv2d(c1, classes, 1)

    def forward(self, x):
        s1 = self.enc1(x)
        s2 = self.enc2(F.max_pool2d(s1, 2))
        mid = self.mid(F.max_pool2d(s2, 2))
        up = lambda t, skip: torch.cat([F.interpolate(t, size=skip.shape[2:], mode="bilinear", align_corners=False), skip], 1)
        d2 = self.dec2(up(mid, s2))
        return self.out(self.dec1(up(d2, s1)))


class FcnOut(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def build(name):
    if name == "unet":
        return UNet()
    if name == "fcn-resnet50":
        try:
            from torchvision.models.segmentation import fcn_resnet50
        except ImportError as err:
            print(json.dumps({"unavailable": f"torchvision not importable: {err}"}), flush=True)
            sys.exit(0)
        return FcnOut(fcn_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False))
    raise SystemExit(f"unknown model {name}")


def main():
    name, height, width, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if len(sys.argv) > 6:
        torch.set_num_threads(int(sys.argv[6]))
    torch.manual_seed(0)
    model = build(name)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, height, width)
    y = torch.randint(0, 21, (batch, height, width))
    y[:, :2, :] = 255  # some ignored pixels, as VOC's boundaries

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, ignore_index=255)
        loss.backward()
        opt.step()
        return loss.item()  # the engine reads the loss every step too

    step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "ms_per_step": ms,
        "samples_per_s": batch * 1000 / ms,
        "steps": steps,
    }), flush=True)


if __name__ == "__main__":
    main()
