"""The ResNets of WebLab's src/WebLab.Core/Models/ResNet.cs, written out in PyTorch with torchvision's
parameter names (conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, fc).

resnet20: CIFAR-style, 3x3/1 stem (no max-pool), 3 stages of 3 basic blocks, 16/32/64 wide, 1x1 convolution
          + BatchNorm shortcuts where the shape changes (as WebLab builds it).
resnet18/resnet50: torchvision's, 7x7/2 stem + 3x3/2 max-pool, widths 64/128/256/512.
"""
import torch
from torch import nn

SHAPES = {
    "resnet8": ("basic", [1, 1, 1], [16, 32, 64], "small"),
    "resnet20": ("basic", [3, 3, 3], [16, 32, 64], "small"),
    "resnet18": ("basic", [2, 2, 2, 2], [64, 128, 256, 512], "imagenet"),
    "resnet34": ("basic", [3, 4, 6, 3], [64, 128, 256, 512], "imagenet"),
    "resnet50": ("bottleneck", [3, 4, 6, 3], [64, 128, 256, 512], "imagenet"),
}


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu_()
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return out.add_(identity).relu_()


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu_()
        out = self.bn2(self.conv2(out)).relu_()
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return out.add_(identity).relu_()


class ResNet(nn.Module):
    def __init__(self, name, num_classes=10, in_channels=3):
        super().__init__()
        kind, layers, widths, stem = SHAPES[name]
        block = BasicBlock if kind == "basic" else Bottleneck
        self.imagenet_stem = stem == "imagenet"
        if self.imagenet_stem:
            self.conv1 = nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for s, (count, planes) in enumerate(zip(layers, widths)):
            blocks = []
            for b in range(count):
                stride = 2 if b == 0 and s > 0 else 1
                downsample = None
                if stride != 1 or in_planes != planes * block.expansion:
                    downsample = nn.Sequential(
                        nn.Conv2d(in_planes, planes * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion))
                blocks.append(block(in_planes, planes, stride, downsample))
                in_planes = planes * block.expansion
            self.add_module(f"layer{s + 1}", nn.Sequential(*blocks))
        self.stages = len(layers)
        self.fc = nn.Linear(in_planes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.bn1(self.conv1(x)).relu_()
        if self.imagenet_stem:
            x = nn.functional.max_pool2d(x, 3, 2, 1)
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(x.mean((2, 3)))


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])
