"""Inference images/s of a WebLab model in plain PyTorch (eval mode, inference_mode, synthetic data).

  python3 infer.py --model resnet20 --size 32 --batch 256 --threads 2
"""
import argparse
import contextlib
import json
import time

import torch

from models import ResNet, median


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet20")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="0: leave torch's default")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the forward pass")
    p.add_argument("--channels-last", action="store_true", help="model and batches in channels-last memory format")
    args = p.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = ResNet(args.model, args.classes, args.channels).eval().to(memory_format=layout)
    batches = [torch.randn(args.batch, args.channels, args.size, args.size).contiguous(memory_format=layout) for _ in range(2)]
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext

    def run(i):
        with torch.inference_mode(), autocast():
            return model(batches[i % len(batches)]).argmax(1)

    for i in range(args.warmup):
        run(i)
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for i in range(args.batches):
            run(i)
        rates.append(args.batches * args.batch / (time.perf_counter() - start))
    print(json.dumps({
        "engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "model": args.model, "size": args.size, "batch": args.batch,
        "images_per_s": median(rates), "repeats": rates,
    }))


if __name__ == "__main__":
    main()
