using TorchSharp;
using WebLab.Training;
using static TorchSharp.torch;

namespace WebLab.Tests.Training;

/// <summary>WebLab's optimisers against TorchSharp's own implementations of the same updates, step by step.</summary>
public class GroupOptimizerTests
{
    /// <summary>A two-layer model's parameters, two groups with different rates, and a loss on fixed random data.</summary>
    private sealed class Problem : IDisposable
    {
        private readonly Tensor _x, _y;

        public Problem(int seed)
        {
            torch.manual_seed(seed);
            First = new TorchSharp.Modules.Parameter(torch.randn(8, 5));
            Second = new TorchSharp.Modules.Parameter(torch.randn(3, 8));
            Bias = new TorchSharp.Modules.Parameter(torch.randn(3));
            _x = torch.randn(16, 5);
            _y = torch.randint(0, 3, [16]);
        }

        public TorchSharp.Modules.Parameter First { get; }
        public TorchSharp.Modules.Parameter Second { get; }
        public TorchSharp.Modules.Parameter Bias { get; }

        public void Backward(int step)
        {
            using var scope = torch.NewDisposeScope();
            // The data changes with the step so momentum buffers see different gradients.
            var x = _x.roll(step, 0);
            var logits = x.matmul(First.t()).relu().matmul(Second.t()) + Bias;
            nn.functional.cross_entropy(logits, _y).backward();
        }

        public float[] Values() => [.. new[] { First, Second, Bias }.SelectMany(p => p.detach().data<float>().ToArray())];

        public void Dispose()
        {
            foreach (var t in new Tensor[] { First, Second, Bias, _x, _y })
                t.Dispose();
        }
    }

    private static float[] RunOurs(OptimizerKind kind, double momentum, bool nesterov, int steps)
    {
        using var p = new Problem(5);
        using var optimizer = GroupOptimizer.Create(kind,
            [new OptimizerGroup("body", [p.First], 0.05), new OptimizerGroup("head", [p.Second, p.Bias], 0.2)], momentum, nesterov);
        for (int step = 0; step < steps; step++)
        {
            optimizer.Groups[1].LearningRate = 0.2 * (1 - step / (double)steps); // a schedule moves the rate between steps
            optimizer.ClearGradients();
            p.Backward(step);
            optimizer.Step();
        }
        Assert.All(new[] { p.First, p.Second, p.Bias }, parameter => Assert.NotNull(parameter.grad));
        optimizer.ClearGradients();
        Assert.All(new[] { p.First, p.Second, p.Bias }, parameter => Assert.Null(parameter.grad));
        return p.Values();
    }

    private static float[] RunTorchSharps(OptimizerKind kind, double momentum, bool nesterov, int steps)
    {
        using var p = new Problem(5);
        using optim.Optimizer optimizer = kind == OptimizerKind.Sgd
            ? optim.SGD([new TorchSharp.Modules.SGD.ParamGroup([p.First], 0.05, momentum, nesterov: nesterov),
                new TorchSharp.Modules.SGD.ParamGroup([p.Second, p.Bias], 0.2, momentum, nesterov: nesterov)], 0.05, momentum, nesterov: nesterov)
            : optim.AdamW([new TorchSharp.Modules.AdamW.ParamGroup([p.First], 0.05, beta1: momentum, weight_decay: 0),
                new TorchSharp.Modules.AdamW.ParamGroup([p.Second, p.Bias], 0.2, beta1: momentum, weight_decay: 0)], 0.05, beta1: momentum, weight_decay: 0);
        for (int step = 0; step < steps; step++)
        {
            optimizer.ParamGroups.ElementAt(1).LearningRate = 0.2 * (1 - step / (double)steps);
            optimizer.zero_grad();
            p.Backward(step);
            optimizer.step();
        }
        return p.Values();
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, 0.0, false)]
    [InlineData(OptimizerKind.Sgd, 0.9, false)]
    [InlineData(OptimizerKind.Sgd, 0.9, true)]
    [InlineData(OptimizerKind.AdamW, 0.9, false)]
    [InlineData(OptimizerKind.AdamW, 0.5, false)]
    public void Updates_MatchTorchSharpsOptimizer(OptimizerKind kind, double momentum, bool nesterov)
    {
        float[] start;
        using (var initial = new Problem(5))
            start = initial.Values();
        var ours = RunOurs(kind, momentum, nesterov, steps: 12);
        var theirs = RunTorchSharps(kind, momentum, nesterov, steps: 12);
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
            Assert.Equal(theirs[i], ours[i], 4);
        // The parameters moved, so agreement is not two no-ops agreeing.
        Assert.True(ours.Zip(start).Max(t => Math.Abs(t.First - t.Second)) > 0.05);
    }

    [Fact]
    public void Sgd_WithoutMomentum_IsTheGradientStep()
    {
        using var p = new Problem(9);
        using var optimizer = GroupOptimizer.Create(OptimizerKind.Sgd, [new OptimizerGroup("all", [p.First, p.Second, p.Bias], 0.3)], 0, false);
        var before = p.Values();
        p.Backward(0);
        var gradient = new[] { p.First, p.Second, p.Bias }.SelectMany(t => t.grad!.data<float>().ToArray()).ToArray();
        optimizer.Step();
        var after = p.Values();
        for (int i = 0; i < before.Length; i++)
            Assert.Equal(before[i] - 0.3f * gradient[i], after[i], 5);
    }

    [Fact]
    public void FrozenGroups_AreRefused()
    {
        var e = Assert.Throws<BadInputException>(() => GroupOptimizer.Create(OptimizerKind.Sgd, [new OptimizerGroup("none", [], 0.1)], 0.9, false));
        Assert.Contains("Nothing to train", e.Message);
    }
}
