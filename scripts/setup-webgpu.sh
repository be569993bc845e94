#!/usr/bin/env bash
# Makes the `webgpu` backend usable on a machine without a GPU driver that Dawn accepts, by
# installing Mesa's software Vulkan driver (lavapipe) and the Vulkan loader.
#
# Why: the npm `webgpu` package (Dawn's dawn.node) reaches the hardware through Vulkan on Linux.
# With no Vulkan driver there is no adapter at all; Debian 12's Mesa 22.3 lavapipe is refused by
# Dawn (too old), so on bookworm the driver comes from bookworm-backports (Mesa 25). lavapipe is a
# CPU rasteriser: training works but slowly; the backend then reports `gpu: false`.
#
# Idempotent: exits 0 straight away when a WebGPU adapter is already found, adds the backports
# source only when absent, and apt-get install is a no-op for installed packages.
# Usage: npm run setup:webgpu   (needs root or sudo for apt)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'setup-webgpu: %s\n' "$*" >&2; }

# Prints the adapter Dawn picks as JSON and exits 0, or exits 2 when there is none.
# dawn.node keeps the process alive while the GPU object lives, hence the explicit exit.
probe_adapter() {
  node --input-type=module -e '
    let create, globals;
    try { ({ create, globals } = await import("webgpu")); }
    catch (e) { console.error("cannot load the npm package webgpu: " + e.message); process.exit(3); }
    Object.assign(globalThis, globals);
    let adapter = null;
    try { adapter = await create([]).requestAdapter(); } catch (e) { console.error(String(e)); }
    if (!adapter) process.exit(2);
    const i = adapter.info;
    console.log(JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device,
      description: i.description, fallback: adapter.isFallbackAdapter ?? i.isFallbackAdapter }));
    process.exit(0);
  '
}

if [[ ! -d node_modules/webgpu ]]; then
  log "the optional npm package 'webgpu' is not installed (node_modules/webgpu missing); run npm install first"
  exit 1
fi

if info=$(probe_adapter 2>/dev/null); then
  log "a WebGPU adapter is already available: $info"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "not root and no sudo: install Mesa's Vulkan driver (lavapipe >= 23) and libvulkan1 yourself"
    exit 1
  fi
fi

if [[ ! -r /etc/os-release ]]; then
  log "unknown OS: install a Vulkan driver (Mesa lavapipe >= 23, or your GPU vendor's) and libvulkan1"
  exit 1
fi
# shellcheck disable=SC1091
. /etc/os-release

apt_install=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends)

case "${ID:-}:${VERSION_CODENAME:-}" in
  debian:bookworm)
    # Mesa 22.3 in bookworm is too old for Dawn; bookworm-backports carries Mesa >= 24.
    shopt -s nullglob
    if grep -qs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
      log "bookworm-backports already in the apt sources"
    else
      # Same mirror as the existing bookworm source (deb822 .sources first, then sources.list).
      mirror=$(awk '
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uri; exit } }
      ' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
      if [[ -z $mirror && -r /etc/apt/sources.list ]]; then
        mirror=$(awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
          /etc/apt/sources.list || true)
      fi
      mirror=${mirror:-http://deb.debian.org/debian}
      log "adding bookworm-backports from $mirror"
      printf '%s\n' \
        'Types: deb' \
        "URIs: $mirror" \
        'Suites: bookworm-backports' \
        'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
        "${SUDO[@]}" tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
    fi
    "${SUDO[@]}" apt-get update
    "${apt_install[@]}" -t bookworm-backports mesa-vulkan-drivers libvulkan1
    ;;
  debian:* | ubuntu:*)
    # Newer releases (Debian 13, Ubuntu >= 23.10) ship Mesa >= 23 in the main archive.
    "${SUDO[@]}" apt-get update
    "${apt_install[@]}" mesa-vulkan-drivers libvulkan1
    ;;
  *)
    log "no automatic setup for ${PRETTY_NAME:-this OS}: install Mesa's Vulkan driver (lavapipe >= 23) and the Vulkan loader"
    exit 1
    ;;
esac

mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo none)
log "mesa-vulkan-drivers $mesa installed"

if info=$(probe_adapter); then
  log "WebGPU adapter found: $info"
else
  log "still no WebGPU adapter after installing mesa-vulkan-drivers $mesa (Dawn needs lavapipe >= 23)"
  exit 1
fi
