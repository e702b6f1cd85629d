using TorchSharp;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Tests.Transfer;

public class RegularizerTests
{
    [Fact]
    public void L2SP_GradientIsAlphaTimesDistanceFromStart_AndMatchesAutograd()
    {
        torch.manual_seed(1);
        using var layer = nn.Linear(4, 3);
        var parameters = layer.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        const double alpha = 0.3;
        using var penalties = new WeightPenalties([new ParamGroupPlan("all", parameters, 0.1, L2SP: alpha)]);
        using var start = layer.weight!.detach().clone();
        using (torch.no_grad())
            layer.weight.add_(torch.randn(3, 4));

        layer.zero_grad();
        layer.weight.grad = torch.zeros(3, 4);
        layer.bias!.grad = torch.zeros(3);
        penalties.AddGradients();
        using var expected = (layer.weight.detach() - start) * alpha;
        Assert.True(layer.weight.grad!.allclose(expected, rtol: 1e-6, atol: 1e-7));
        Assert.True(layer.bias.grad!.abs().max().item<float>() < 1e-7); // bias did not move

        // The same gradient from autograd on (alpha/2)||w - w0||^2, and the same value.
        using var w = layer.weight.detach().clone().requires_grad_(true);
        using var loss = (w - start).square().sum() * (alpha / 2);
        loss.backward();
        Assert.True(w.grad!.allclose(layer.weight.grad, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(loss.item<float>(), penalties.Values().L2SP, 4);
    }

    [Fact]
    public void MixedL2SP_AppliesL2SPToLowerBlocks_AndL2AboveAndToTheHead()
    {
        torch.manual_seed(2);
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28));
        var plan = TransferPlan.ForTransfer(model.Blocks, headTransferable: false, new TransferDials(L2: 0.01, L2SPAlpha: 0.5, L2SPBlocks: 2));
        Assert.Equal(["l2sp", "l2sp", "l2", "l2", "l2"], plan.Select(p => p.Penalty));
        var groups = TransferPlan.Groups(model, plan);
        using var penalties = new WeightPenalties(groups);
        var start = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using (torch.no_grad())
            foreach (var p in model.parameters())
                p.add_(0.1);
        foreach (var p in model.parameters())
            p.grad = torch.zeros_like(p);
        penalties.AddGradients();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var block = model.BlockOf(name).Name;
            using var expected = block is "stem" or "layer1"
                ? (parameter.detach() - start[name]) * 0.5  // pulled toward the pretrained value
                : parameter.detach() * 0.01;                 // pulled toward zero
            Assert.True(parameter.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{name} ({block})");
        }
    }

    [Fact]
    public void Bss_EqualsEtaTimesSmallestSquaredSingularValues_FromAnIndependentEigendecomposition()
    {
        torch.manual_seed(3);
        using var features = torch.randn(8, 5, requires_grad: true);
        using var penalty = BatchSpectralShrinkage.Penalty(features, k: 2, eta: 0.7);
        // sigma_i^2 are the eigenvalues of F^T F; take the two smallest.
        using var eigen = torch.linalg.eigvalsh(features.detach().t().matmul(features.detach()).to(ScalarType.Float64));
        double expected = 0.7 * (eigen[0].item<double>() + eigen[1].item<double>());
        Assert.Equal(expected, penalty.item<float>(), 3);
        penalty.backward();
        Assert.True(features.grad!.abs().sum().item<float>() > 0);
    }
}
