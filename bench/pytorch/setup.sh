#!/usr/bin/env bash
# Builds the PyTorch reference environment: a Debian 13 (trixie) chroot with python3-torch 2.6
# (same oneDNN generation as TorchSharp 0.107's libtorch 2.10) and python3-numpy.
# Idempotent: a finished chroot is left as it is; an interrupted one is resumed.
#
#   sudo bench/pytorch/setup.sh [DIR]        # default DIR: $WEBLAB_BENCH_CHROOT or /var/cache/weblab-bench/trixie
set -euo pipefail

dir="${1:-${WEBLAB_BENCH_CHROOT:-/var/cache/weblab-bench/trixie}}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages=(python3-torch python3-numpy)

if [[ $(id -u) -ne 0 ]]; then
  echo "error: run as root (debootstrap and chroot need it)" >&2
  exit 1
fi

if [[ -f "$dir/.weblab-bench-ready" ]]; then
  echo "ready: $dir ($(cat "$dir/.weblab-bench-ready"))"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  apt-get update -q
  apt-get install -y -q debootstrap
fi

# Debian 12's debootstrap may not know trixie by name; trixie bootstraps like sid.
script=/usr/share/debootstrap/scripts/trixie
[[ -e "$script" ]] || script=/usr/share/debootstrap/scripts/sid

mkdir -p "$dir"
if [[ ! -x "$dir/usr/bin/apt-get" || ! -f "$dir/.weblab-bench-base" ]]; then
  debootstrap --variant=minbase trixie "$dir" "$mirror" "$script"
  touch "$dir/.weblab-bench-base"
fi

cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
trap 'umount "$dir/proc" 2>/dev/null || true' EXIT

chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q
chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${packages[@]}"
chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get clean

version=$(chroot "$dir" python3 -c 'import torch; print("torch", torch.__version__)')
echo "$version" > "$dir/.weblab-bench-ready"
echo "ready: $dir ($version)"
