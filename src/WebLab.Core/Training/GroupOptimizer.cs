using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>One parameter group of a <see cref="GroupOptimizer"/>: its parameters and the learning rate of the next step.</summary>
public sealed class OptimizerGroup(string name, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, double learningRate)
{
    public string Name { get; } = name;

    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters { get; } = parameters;

    /// <summary>Learning rate of the next step (the trainer sets it from the schedule before every step).</summary>
    public double LearningRate { get; set; } = learningRate;
}

/// <summary>
/// SGD (momentum, Nesterov) and AdamW over parameter groups, the updates of torch.optim's single-tensor code paths.
/// </summary>
/// <remarks>
/// Written here rather than taken from TorchSharp.optim for two reasons. TorchSharp 0.107's optimisers pass coefficients
/// as temporary Scalars that its finalizer thread can free while the native call still reads them (see WeightPenalties):
/// every coefficient here is a Scalar this class owns and disposes. And the updates run in place (no new tensor per
/// parameter per step), with gradients dropped instead of zeroed between steps, as PyTorch's zero_grad(set_to_none=True).
/// Weight decay is not part of the update: the trainer adds its L2 and L2-SP terms to the gradients (WeightPenalties).
/// </remarks>
public abstract class GroupOptimizer : IDisposable
{
    private readonly Dictionary<double, Scalar> _scalars = [];
    private readonly Dictionary<IntPtr, Tensor[]> _state = [];

    protected GroupOptimizer(IEnumerable<OptimizerGroup> groups)
    {
        Groups = [.. groups];
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new BadInputException("Nothing to train: every block is frozen and there is no head.");
    }

    public IReadOnlyList<OptimizerGroup> Groups { get; }

    public static GroupOptimizer Create(OptimizerKind kind, IEnumerable<OptimizerGroup> groups, double momentum, bool nesterov) => kind switch
    {
        OptimizerKind.Sgd => new SgdOptimizer(groups, momentum, nesterov),
        OptimizerKind.AdamW => new AdamWOptimizer(groups, beta1: momentum),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Drops every parameter's gradient (set to none, not zero): backward then writes fresh buffers.</summary>
    public void ClearGradients()
    {
        foreach (var group in Groups)
            foreach (var parameter in group.Parameters)
                parameter.grad = null;
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = torch.no_grad();
        foreach (var group in Groups)
        {
            using var negativeRate = (-group.LearningRate).ToScalar();
            foreach (var parameter in group.Parameters)
            {
                using var grad = parameter.grad;
                if (grad is null)
                    continue;
                bool first = !_state.TryGetValue(parameter.Handle, out var state);
                if (first)
                    _state[parameter.Handle] = state = CreateState(parameter);
                Update(parameter, grad, state!, first, group.LearningRate, negativeRate);
            }
        }
    }

    /// <summary>Per-parameter state, created (zeros) at its first gradient, e.g. momentum buffers.</summary>
    protected abstract Tensor[] CreateState(TorchSharp.Modules.Parameter parameter);

    /// <summary>
    /// Updates one parameter in place; <paramref name="first"/> on its first gradient. <paramref name="grad"/> may be
    /// overwritten: it is dropped before the next backward.
    /// </summary>
    protected abstract void Update(TorchSharp.Modules.Parameter parameter, Tensor grad, Tensor[] state, bool first, double learningRate,
        Scalar negativeRate);

    /// <summary>A Scalar owned by this optimiser (made once per value, disposed with it).</summary>
    protected Scalar Coefficient(double value)
    {
        if (!_scalars.TryGetValue(value, out var scalar))
            _scalars[value] = scalar = value.ToScalar();
        return scalar;
    }

    public void Dispose()
    {
        foreach (var state in _state.Values)
            foreach (var tensor in state)
                tensor.Dispose();
        _state.Clear();
        foreach (var scalar in _scalars.Values)
            scalar.Dispose();
        _scalars.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>SGD with momentum (dampening 0) and optional Nesterov momentum: torch.optim.SGD's update.</summary>
public sealed class SgdOptimizer(IEnumerable<OptimizerGroup> groups, double momentum, bool nesterov) : GroupOptimizer(groups)
{
    public double Momentum { get; } = momentum;

    public bool Nesterov { get; } = nesterov && momentum > 0;

    protected override Tensor[] CreateState(TorchSharp.Modules.Parameter parameter) =>
        Momentum > 0 ? [torch.zeros_like(parameter).DetachFromDisposeScope()] : [];

    protected override void Update(TorchSharp.Modules.Parameter parameter, Tensor grad, Tensor[] state, bool first, double learningRate,
        Scalar negativeRate)
    {
        if (Momentum == 0)
        {
            parameter.add_(grad, alpha: negativeRate);
            return;
        }
        var buffer = state[0];
        // First step: buffer = grad (torch initialises the buffer with a copy of the gradient).
        if (first)
            buffer.copy_(grad);
        else
            buffer.mul_(Coefficient(Momentum)).add_(grad);
        if (Nesterov)
            parameter.add_(grad.add_(buffer, alpha: Coefficient(Momentum)), alpha: negativeRate);
        else
            parameter.add_(buffer, alpha: negativeRate);
    }
}

/// <summary>AdamW (no amsgrad, decoupled decay 0 here: penalties come as gradient terms): torch.optim.AdamW's update.</summary>
public sealed class AdamWOptimizer(IEnumerable<OptimizerGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    : GroupOptimizer(groups)
{
    private readonly Dictionary<IntPtr, int> _steps = [];

    protected override Tensor[] CreateState(TorchSharp.Modules.Parameter parameter) =>
        [torch.zeros_like(parameter).DetachFromDisposeScope(), torch.zeros_like(parameter).DetachFromDisposeScope()];

    protected override void Update(TorchSharp.Modules.Parameter parameter, Tensor grad, Tensor[] state, bool first, double learningRate,
        Scalar negativeRate)
    {
        int step = _steps[parameter.Handle] = _steps.GetValueOrDefault(parameter.Handle) + 1;
        var (mean, square) = (state[0], state[1]);
        mean.mul_(Coefficient(beta1)).add_(grad, alpha: Coefficient(1 - beta1));
        square.mul_(Coefficient(beta2)).addcmul_(grad, grad, value: Coefficient(1 - beta2));
        double correction1 = 1 - Math.Pow(beta1, step);
        double correction2 = Math.Sqrt(1 - Math.Pow(beta2, step));
        using var scope = torch.NewDisposeScope();
        using var denominatorScale = (1 / correction2).ToScalar();
        using var stepSize = (-learningRate / correction1).ToScalar();
        var denominator = square.sqrt().mul_(denominatorScale).add_(Coefficient(eps));
        parameter.addcdiv_(mean, denominator, value: stepSize);
    }
}
