#!/usr/bin/env bash
# scripts/device-pack.sh --mnist DIR [--bundle FILE] OUT_DIR
#
# Assembles the folder that scripts/device-check.sh runs from on a bare GPU machine (≤ 60 MiB):
#   OUT_DIR/device-check.sh           the check itself
#   OUT_DIR/grn-linux-x64.tar.xz      the worker bundle (npm run bundle, unless --bundle names one)
#   OUT_DIR/mnist/*.gz                MNIST's four files, from DIR (the team's copy: shared/datasets/mnist)
#   OUT_DIR/pytorch/                  bench/pytorch/simplecnn_step.py and blocks.py (the PyTorch ratio)
#   OUT_DIR/.gl/*.deb                 the Vulkan loader and GL dispatch libraries, amd64, from Debian
#                                     (apt-get download): the GPU machine has its driver but maybe no loader
# Then copy OUT_DIR to the GPU machine and run `bash OUT_DIR/device-check.sh` there (OUT=… for the JSON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
limit_mib=60
debs=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

usage() { echo "usage: $0 --mnist DIR [--bundle FILE] OUT_DIR   (the team's MNIST: shared/datasets/mnist)" >&2; exit 2; }
mnist= bundle= out=
while [ $# -gt 0 ]; do
  case $1 in
    --mnist) mnist=${2:?--mnist needs a folder}; shift 2 ;;
    --bundle) bundle=${2:?--bundle needs a file}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "device-pack: unknown option $1" >&2; usage ;;
    *) [ -z "$out" ] || usage; out=$1; shift ;;
  esac
done
[ -n "$out" ] && [ -n "$mnist" ] || usage
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$mnist/$f.gz" ] || { echo "device-pack: $mnist/$f.gz missing: --mnist must name a folder with MNIST's four .gz files" >&2; exit 1; }
done

mkdir -p "$out/mnist" "$out/pytorch" "$out/.gl"
out=$(cd "$out" && pwd -P)

if [ -z "$bundle" ]; then
  echo "device-pack: building the worker bundle (npm run bundle)"
  (cd "$root" && npm run --silent bundle)
  bundle=$root/dist/bundle/grn-linux-x64.tar.xz
fi
[ -f "$bundle" ] || { echo "device-pack: no bundle at $bundle" >&2; exit 1; }
cp "$bundle" "$out/grn-linux-x64.tar.xz"
cp "$mnist"/{train,t10k}-*-ubyte.gz "$out/mnist/"
cp "$root/bench/pytorch/simplecnn_step.py" "$root/bench/pytorch/blocks.py" "$out/pytorch/"
cp "$root/scripts/device-check.sh" "$out/device-check.sh"
chmod +x "$out/device-check.sh"

# amd64 packages whatever this machine is, with their own package lists (not this machine's apt state).
echo "device-pack: apt-get download ${debs[*]}"
lists=$(mktemp -d)
mkdir -p "$lists/partial"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${o[@]}" update -qq
rm -f "$out"/.gl/*.deb
(cd "$out/.gl" && apt-get "${o[@]}" download "${debs[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
rm -rf "$lists"
for p in "${debs[@]}"; do
  ls "$out/.gl/${p}_"*.deb >/dev/null 2>&1 || { echo "device-pack: apt-get download $p gave no .deb" >&2; exit 1; }
done

bytes=$(du -sb "$out" | cut -f1)
echo "device-pack: $out is $((bytes / 1024 / 1024)) MiB (limit $limit_mib MiB):"
du -sh "$out"/grn-linux-x64.tar.xz "$out"/mnist "$out"/.gl "$out"/pytorch "$out"/device-check.sh
if [ "$bytes" -gt $((limit_mib * 1024 * 1024)) ]; then
  echo "device-pack: over the $limit_mib MiB limit" >&2
  exit 1
fi
