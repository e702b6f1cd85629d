#!/usr/bin/env bash
# The numbers of bench/results/colour-demo.md: what the input-size dial costs (ResNet-18 at 128 vs 224 px), the colour demo,
# the Fashion-MNIST demo, and the far-domain case (ImageNet ResNet-18 on Fashion-MNIST 5-9), one after the other. Each run
# leaves its log, its JSON result, the busiest processes when it started and the load average every 10 s while it ran.
#   bench/colour-demo.sh [OUT] [RUN...]   (default OUT: /tmp/weblab-colour-demo; RUN: some of input-size colour-demo fashion-source
#                                          fashion-demo far-domain, default all; WEBLAB=path/to/weblab to use another build)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/weblab-colour-demo}
only=" ${*:2} "
weblab=${WEBLAB:-src/WebLab.Cli/bin/Release/net10.0/weblab}
mkdir -p "$out"
export WEBLAB_DATA="$out/data"

run() {
    local name=$1
    shift
    [[ "$only" == "  " || "$only" == *" $name "* ]] || return 0
    ps -eo pcpu,etime,args --sort=-pcpu | head -6 | cut -c1-160 > "$out/$name.ps"
    (while :; do echo "$(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done) > "$out/$name.load" &
    local sampler=$! start
    start=$(date +%s.%N)
    "$@" > "$out/$name.log" 2>&1
    local rc=$?
    kill "$sampler"
    printf '%s: rc %s, wall %.1f s, load samples %s\n' "$name" "$rc" "$(echo "$(date +%s.%N) - $start" | bc)" \
        "$(awk '{print $2}' "$out/$name.load" | tr '\n' ' ')" | tee -a "$out/summary.txt"
}

run input-size "$weblab" bench input-size --sizes 128,224 --repeats 3 --results "$out"
run colour-demo "$weblab" demo colour --json "$out/colour-demo.json"
run fashion-source "$weblab" demo
run fashion-demo "$weblab" experiment --target fashion-mnist --target-classes 5,6,7,8,9 --per-class 20 --seeds 3 \
    --source "$WEBLAB_DATA/checkpoints/fashion-mnist-0-4-resnet8.weblab" --json "$out/fashion-demo.json"
# The colour demo's recipe (Demo.Colour: small-similar, 40 updates of 16, head rate 0.01) on the classic far target.
run far-domain "$weblab" experiment --target fashion-mnist --target-classes 5,6,7,8,9 --per-class 20 --seeds 3 \
    --source "$WEBLAB_DATA/checkpoints/resnet18-imagenet.weblab" --preset small-similar --steps 40 --batch-size 16 --head-lr 0.01 \
    --json "$out/far-domain.json"
