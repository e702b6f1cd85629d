#!/usr/bin/env bash
# Installs what the test suite needs on Debian/Ubuntu, once; run by `dotnet test` (Directory.Build.targets)
# before the tests start. Idempotent and quiet when everything is present. WEBLAB_SKIP_PREREQUISITES=1 skips it.
set -euo pipefail

need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
# The emoji-nature target is drawn from Noto Color Emoji with Unicode's emoji-test.txt.
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
[ -f /usr/share/unicode/emoji/emoji-test.txt ] || need+=(unicode-data)
# The optdigits target is scikit-learn's copy of UCI's file (the validation study's held-out handwriting).
[ -f /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ] || need+=(python3-sklearn)
# The lab's process tests find and signal worker processes with pgrep and kill.
command -v pgrep >/dev/null || need+=(procps)
# The Slurm executor's tests run a real single-node cluster (tests/slurm/cluster.sh): Debian 12's Slurm 22.05 and munge.
command -v slurmctld >/dev/null || need+=(slurmctld)
command -v slurmd >/dev/null || need+=(slurmd)
command -v sbatch >/dev/null || need+=(slurm-client)
command -v munged >/dev/null || need+=(munge)
# The browser tests drive Debian's Chromium through Playwright (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "tests/prerequisites.sh: the tests need these Debian packages: ${need[*]}" >&2
  echo "  install them as root: apt-get install -y ${need[*]}" >&2
  exit 1
fi

# Several test projects may start at once: one installer at a time.
exec 9>/tmp/weblab-prerequisites.lock
flock 9
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tests/prerequisites.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
