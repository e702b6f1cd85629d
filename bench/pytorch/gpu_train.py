"""GPU training images/s of WebLab's ResNet-18/50 (models.py) at 224 px in PyTorch: the number WebLab's CUDA
path should match on the same GPU. AMP (bfloat16 autocast by default, float16 + GradScaler with --fp16),
TF32 matmuls/convolutions, channels-last, SGD momentum 0.9 Nesterov with weight decay, synthetic data on the GPU
(so only the model is measured; the host-side pipeline is measured separately by `weblab bench pipeline`).

  python3 gpu_train.py --model resnet50 --batch 256
Prints one JSON line per model.
"""
import argparse
import json
import time

import torch

from models import ResNet, median


def measure(name, batch, size, steps, warmup, repeats, amp_dtype, channels_last):
    device = torch.device("cuda")
    model = ResNet(name, 1000, 3).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    x = torch.randn(batch, 3, size, size, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        rates.append(steps * batch / (time.perf_counter() - start))
    return rates


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet18,resnet50")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--precision", choices=["bf16", "fp16", "fp32"], default="bf16")
    p.add_argument("--no-channels-last", action="store_true")
    args = p.parse_args()

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[args.precision]
    for name in args.models.split(","):
        rates = measure(name, args.batch, args.size, args.steps, args.warmup, args.repeats, amp, not args.no_channels_last)
        print(json.dumps({
            "engine": "pytorch", "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "model": name,
            "size": args.size, "batch": args.batch, "precision": args.precision, "tf32": True,
            "channels_last": not args.no_channels_last, "images_per_s": median(rates), "repeats": rates,
        }), flush=True)


if __name__ == "__main__":
    main()
