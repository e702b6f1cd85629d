"""Training steps/s of a WebLab model in plain PyTorch: what a researcher's own loop would do.

Same model (models.py mirrors WebLab's ResNet.cs), same threads, same optimiser as WebLab's trainer
(SGD, momentum 0.9, Nesterov, L2 5e-4 on every weight - WebLab adds it to the gradient after backward,
which is what torch.optim.SGD's weight_decay does), cross-entropy, synthetic data generated up front.
Prints one JSON object: steps/s per repeat and their median.
--bf16 runs the forward pass and loss under torch.autocast(device, dtype=torch.bfloat16); --channels-last puts the
model and the batches in torch.channels_last memory format (what WebLab's Arithmetic does).
--timeline prints the wall-clock time (time.time()) at which the model and data were ready and at which each step ended,
for `weblab bench warm-up` (which then counts from the moment it started this process).

  python3 train_step.py --model resnet20 --size 32 --batch 128 --threads 2
"""
import time
STARTED = time.time()  # before importing torch: the interpreter is up, nothing else

import argparse
import contextlib
import json

import torch

from models import ResNet, median


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet20")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="0: leave torch's default")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the forward pass and loss")
    p.add_argument("--channels-last", action="store_true", help="model and batches in channels-last memory format")
    p.add_argument("--timeline", action="store_true", help="report wall-clock times of readiness and of each step's end")
    args = p.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ResNet(args.model, args.classes, args.channels)
    model.train()
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    batches = [(torch.randn(args.batch, args.channels, args.size, args.size).contiguous(memory_format=layout),
                torch.randint(0, args.classes, (args.batch,))) for _ in range(4)]
    ready = time.time()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    # A few distinct batches (made above), cycled: fresh memory each step as a loader would give, no decode cost.
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext

    def step(i):
        x, y = batches[i % len(batches)]
        optimizer.zero_grad()
        with autocast():
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    if args.timeline:
        # Warm-up: the optimiser is made after `ready` on both sides (WebLab's trainer makes its own), then the steps.
        ends = []
        for i in range(args.steps):
            step(i)
            ends.append(time.time())
        print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "started_unix": STARTED, "ready_unix": ready, "step_end_unix": ends}))
        return

    for i in range(args.warmup):
        step(i)
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for i in range(args.steps):
            step(i)
        rates.append(args.steps / (time.perf_counter() - start))
    print(json.dumps({
        "engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "model": args.model, "size": args.size, "batch": args.batch,
        "steps_per_s": median(rates), "repeats": rates,
    }))


if __name__ == "__main__":
    main()
