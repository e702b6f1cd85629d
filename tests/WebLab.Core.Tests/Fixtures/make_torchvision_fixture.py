"""Regenerates torchvision-resnet.json: torchvision's own state-dict keys and shapes for ResNet-18/50, and the
logits PyTorch computes for deterministic weights and inputs. WebLab's tests rebuild the same weights with the
same formula, write them as safetensors in torchvision layout, import them and compare logits.

Run with Debian's packages: apt-get install python3-torchvision; /usr/bin/python3 make_torchvision_fixture.py
Weights: tensor number t (state-dict order), element j (row-major):
  conv / linear weight: sin(0.7 j + 1.3 t) / sqrt(fan_in)
  bias, bn bias:        0.1 sin(0.7 j + 1.3 t)
  bn weight:            1 + 0.1 sin(0.7 j + 1.3 t)
  bn running_mean:      0.1 sin(0.7 j + 1.3 t)
  bn running_var:       1 + 0.25 (1 + sin(0.7 j + 1.3 t))
  num_batches_tracked:  0
Input: x[j] = sin(0.3 j) for shape [2, 3, 64, 64]; the model runs in eval mode.
"""
import json
import math

import numpy as np
import torch
import torchvision


def value(name, shape, t):
    n = int(np.prod(shape)) if len(shape) else 1
    j = np.arange(n, dtype=np.float64)
    s = np.sin(0.7 * j + 1.3 * t)
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith("running_mean"):
        v = 0.1 * s
    elif name.endswith("running_var"):
        v = 1 + 0.25 * (1 + s)
    elif name.endswith("weight") and len(shape) == 1:
        v = 1 + 0.1 * s
    elif name.endswith("bias"):
        v = 0.1 * s
    else:
        fan_in = n // shape[0]
        v = s / math.sqrt(fan_in)
    return v.astype(np.float32).reshape(shape)


result = {
    "torch": torch.__version__,
    "torchvision": torchvision.__version__,
    "inputShape": [2, 3, 64, 64],
    "models": {},
}
x = torch.from_numpy(np.sin(0.3 * np.arange(2 * 3 * 64 * 64, dtype=np.float64)).astype(np.float32).reshape(2, 3, 64, 64))
for arch in ["resnet18", "resnet50"]:
    model = getattr(torchvision.models, arch)()
    state = model.state_dict()
    keys = []
    new_state = {}
    for t, (name, tensor) in enumerate(state.items()):
        shape = list(tensor.shape)
        keys.append([name, shape])
        new_state[name] = torch.from_numpy(value(name, shape, t))
    model.load_state_dict(new_state)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    result["models"][arch] = {
        "keys": keys,
        "logitsHead": logits[:, :16].tolist(),
        "logitsSum": logits.double().sum(dim=1).tolist(),
        "argmax": logits.argmax(dim=1).tolist(),
    }

with open("torchvision-resnet.json", "w") as f:
    json.dump(result, f, indent=1)
print("wrote torchvision-resnet.json")
