"""PyTorch reference for `npm run bench -- segmentation`: one SGD training step of a segmentation model.

Usage: segmentation_step.py MODEL HEIGHT WIDTH BATCH STEPS [THREADS]
  MODEL: unet (the same network as worker/engine/models/unet.ts) or fcn-resnet50: torchvision's
  fcn_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False), the original's,
  when torchvision imports; else the same architecture written out below (ResNet-50 with
  replace_stride_with_dilation=[False, True, True], FCNHead), whose parameter count is checked
  against torchvision's 32,957,013 before it is timed.
Prints one JSON line: parameter count, milliseconds per step (median of STEPS after one warm-up
step) and samples/s; {"unavailable": reason} when torch or torchvision is missing.
With STEPS = serve it stays up for `npm run bench -- segmentation`, whose rounds alternate with the
TensorFlow.js side: after the warm-up step it prints its ready line (blocks.py's protocol) and
answers each `steps N` line with the milliseconds per step of N timed steps.
"""
import json
import statistics
import sys
import time

from blocks import serve_blocks

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


class Bottleneck(nn.Module):
    """ResNet's bottleneck (expansion 4): 1x1, 3x3 (stride, dilation), 1x1, each with batch norm."""

    def __init__(self, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class FcnResnet50(nn.Module):
    """fcn_resnet50's architecture: dilated ResNet-50 (output stride 8) + FCNHead, upsampled to the input."""

    def __init__(self, classes=21):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, inplanes, dilation = [], 64, 1
        for planes, blocks, stride, dilate in ((64, 3, 1, False), (128, 4, 2, False), (256, 6, 2, True), (512, 3, 2, True)):
            previous = dilation
            if dilate:
                dilation, stride = dilation * stride, 1
            downsample = None
            if stride != 1 or inplanes != planes * 4:
                downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False), nn.BatchNorm2d(planes * 4))
            block = [Bottleneck(inplanes, planes, stride, previous, downsample)]
            inplanes = planes * 4
            block += [Bottleneck(inplanes, planes, 1, dilation, None) for _ in range(1, blocks)]
            layers.append(nn.Sequential(*block))
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Conv2d(2048, 512, 3, padding=1, bias=False), nn.BatchNorm2d(512), nn.ReLU(), nn.Dropout(0.1), nn.Conv2d(512, classes, 1)
        )

    def forward(self, x):
        size = x.shape[2:]
        y = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        y = self.classifier(self.layers(y))
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)


class FcnOut(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def build(name):
    if name == "unet":
        return UNet(), "unet.ts in torch"
    if name == "fcn-resnet50":
        try:
            from torchvision.models.segmentation import fcn_resnet50

            return FcnOut(fcn_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)), "torchvision"
        except Exception:  # not installed, or its compiled ops do not match this torch
            model = FcnResnet50()
            count = sum(p.numel() for p in model.parameters())
            assert count == 32_957_013, f"written-out fcn_resnet50 has {count} parameters, torchvision's 32,957,013"
            return model, "written out (torchvision not importable)"
    raise SystemExit(f"unknown model {name}")


def main():
    name, height, width, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    serve = sys.argv[5] == "serve"
    steps = 0 if serve else int(sys.argv[5])
    if len(sys.argv) > 6:
        torch.set_num_threads(int(sys.argv[6]))
    torch.manual_seed(0)
    model, source = build(name)
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
    if serve:
        def timed(n):
            start = time.perf_counter()
            for _ in range(int(n)):
                step()
            ms = (time.perf_counter() - start) * 1000 / int(n)
            return {"ms_per_step": ms, "samples_per_s": batch * 1000 / ms, "steps": int(n)}

        ready = {"torch": torch.__version__, "threads": torch.get_num_threads(), "model_source": source, "parameters": sum(p.numel() for p in model.parameters())}
        serve_blocks(step, batch, ready, {"steps": timed})
        return
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model_source": source,
        "parameters": sum(p.numel() for p in model.parameters()),
        "ms_per_step": ms,
        "samples_per_s": batch * 1000 / ms,
        "steps": steps,
    }), flush=True)


if __name__ == "__main__":
    main()
