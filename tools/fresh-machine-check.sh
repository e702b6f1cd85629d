#!/usr/bin/env bash
# Runs the README's user commands the way a new machine would: a fresh clone of this repository, built and restored
# into empty, temporary NuGet folders (packages and HTTP cache). Prints each command's outcome; exits non-zero if any
# failed. About 10-15 minutes on 2 cores (the lab's first start pretrains the demo source).
#
#   tools/fresh-machine-check.sh [--with-bench-chroot]     # the latter also runs bench/pytorch/setup.sh (root, ~5 min)
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t weblab-fresh.XXXXXX)"
trap 'if [ -n "${lab:-}" ]; then kill "$lab" 2>/dev/null; fi; rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone" && cd "$work/clone" || exit 1
export NUGET_PACKAGES="$work/nuget/packages" NUGET_HTTP_CACHE_PATH="$work/nuget/http" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
url=http://127.0.0.1:5190
failed=0
check() { local name=$1; shift; if "$@"; then echo "ok: $name"; else echo "FAILED: $name"; failed=1; fi; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
t0=$SECONDS

echo "== the lab: dotnet run --project src/WebLab.Web -c Release (first start pretrains the demo source)"
dotnet run --project src/WebLab.Web -c Release -- --urls "$url" > "$work/lab.log" 2>&1 &
lab=$!
until curl -sf "$url/api/health" >/dev/null 2>&1; do
  sleep 2
  if [ $((SECONDS - t0)) -gt 900 ] || ! kill -0 "$lab" 2>/dev/null; then echo "FAILED: the lab did not start"; tail -20 "$work/lab.log"; exit 1; fi
done
check "first start printed the admin's one-time sign-in link" grep -q "$url/account/link?token=wl_" "$work/lab.log"
# The README's way to an API token (the admin CLI on the lab's data folder, while the lab runs).
export WEBLAB_TOKEN=$(dotnet run --project src/WebLab.Cli -c Release -- users add fresh --role member --data data)
auth=(-H "Authorization: Bearer $WEBLAB_TOKEN")
until curl -sf "${auth[@]}" "$url/api/checkpoints/demo" >/dev/null 2>&1; do   # 404 until the demo source is pretrained
  sleep 5
  if [ $((SECONDS - t0)) -gt 1200 ] || ! kill -0 "$lab" 2>/dev/null; then echo "FAILED: the lab (no demo source)"; tail -20 "$work/lab.log"; exit 1; fi
done
echo "lab up with its demo source after $((SECONDS - t0)) s (restore, build, 8-epoch pretraining)"
job=$(curl -s "${auth[@]}" -X POST "$url/api/demo" | json 'd["id"]')
until [ "$(curl -s "${auth[@]}" "$url/api/jobs/$job" | json 'd["job"]["state"]')" != queued ] && \
      [ "$(curl -s "${auth[@]}" "$url/api/jobs/$job" | json 'd["job"]["state"]')" != running ]; do sleep 3; done
curl -s "${auth[@]}" "$url/api/jobs/$job" | json '"demo through the lab: " + d["job"]["state"] + ", NTG %+.1f points (95%% CI %+.1f to %+.1f)" % tuple(100 * x for x in [d["result"]["ntg"]["mean"]] + d["result"]["ntg"]["ci95"])'

echo "== F# scripts"
check "dotnet build WebLab.sln -c Release" dotnet build WebLab.sln -c Release -v q -nologo
check "dotnet fsi examples/experiment.fsx" dotnet fsi examples/experiment.fsx --per-class 10 --epochs 3
check "dotnet fsi examples/remote-sweep.fsx" dotnet fsi examples/remote-sweep.fsx "$url" --per-class 5,10 --seeds 1 --epochs 2
check "dotnet fsi examples/results-csv.fsx" dotnet fsi examples/results-csv.fsx "$url" --out "$work/results.csv"
check "no TorchSharp fallback copy (cpu/) beside the scripts' TorchSharp.dll" test ! -e src/WebLab.Cli/bin/Release/net10.0/cpu
kill "$lab"; wait "$lab" 2>/dev/null

echo "== weblab demo, weblab experiment"
check "weblab demo" dotnet run --project src/WebLab.Cli -c Release -- demo
check "weblab experiment (the demo, 3 seeds)" dotnet run --project src/WebLab.Cli -c Release -- experiment --target fashion-mnist \
  --target-classes 5,6,7,8,9 --per-class 20 --source data/checkpoints/fashion-mnist-0-4-resnet8.weblab --seeds 3 --json "$work/out.json"

if [ "${1:-}" = --with-bench-chroot ]; then
  check "bench/pytorch/setup.sh" bash bench/pytorch/setup.sh "$work/chroot"
fi
echo "total $((SECONDS - t0)) s"
exit $failed
