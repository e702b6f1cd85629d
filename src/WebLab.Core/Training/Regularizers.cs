using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// A group of parameters trained with one learning rate and one weight penalty.
/// <paramref name="L2"/> is beta in (beta/2)||w||^2 (decay toward zero); <paramref name="L2SP"/> is alpha in
/// (alpha/2)||w - w0||^2 (decay toward the starting - pretrained - weights). Field guide section 4.
/// </summary>
public sealed record ParamGroupPlan(
    string Name,
    IReadOnlyList<(string Key, TorchSharp.Modules.Parameter Parameter)> Parameters,
    double LearningRate,
    double L2 = 0,
    double L2SP = 0);

/// <summary>
/// The weight penalties of a set of parameter groups, applied as exact gradient terms after backward
/// (d/dw (beta/2)||w||^2 = beta w; d/dw (alpha/2)||w - w0||^2 = alpha (w - w0)), so they mean the same with
/// SGD and AdamW. Values are computed on demand for the loss breakdown.
/// </summary>
public sealed class WeightPenalties : IDisposable
{
    private readonly List<(TorchSharp.Modules.Parameter Parameter, double L2, double L2SP, Tensor? Anchor)> _terms = [];

    // The gradient terms run every step for every parameter: their coefficients are Scalars made once and disposed with the
    // penalties, not implicit conversions. TorchSharp 0.107 leaves a temporary Scalar to its finalizer, which can free it
    // while the native call that received it is still reading it (seen here as "Unknown scalar type" under load).
    private readonly Dictionary<double, Scalar> _scalars = [];

    private Scalar Coefficient(double value)
    {
        if (!_scalars.TryGetValue(value, out var scalar))
            _scalars[value] = scalar = value.ToScalar();
        return scalar;
    }

    /// <summary>Captures the anchors w0 (current values) of every group with an L2-SP weight.</summary>
    public WeightPenalties(IEnumerable<ParamGroupPlan> groups)
    {
        foreach (var group in groups)
        {
            if (group.L2 < 0 || group.L2SP < 0)
                throw new BadInputException($"Regularisation strengths must be non-negative (group {group.Name}).");
            foreach (var (_, parameter) in group.Parameters)
            {
                if (group.L2 == 0 && group.L2SP == 0)
                    continue;
                Tensor? anchor = null;
                if (group.L2SP > 0)
                {
                    using var _ = torch.no_grad();
                    anchor = parameter.detach().clone().DetachFromDisposeScope();
                }
                _terms.Add((parameter, group.L2, group.L2SP, anchor));
            }
        }
    }

    /// <summary>True when there is nothing to apply.</summary>
    public bool IsEmpty => _terms.Count == 0;

    /// <summary>Adds every penalty's gradient to the parameters' .grad (call after backward).</summary>
    public void AddGradients()
    {
        using var _ = torch.no_grad();
        foreach (var (parameter, l2, l2sp, anchor) in _terms)
        {
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (l2 > 0)
                grad.add_(parameter, alpha: Coefficient(l2));
            if (l2sp > 0)
                grad.add_(parameter, alpha: Coefficient(l2sp)).add_(anchor!, alpha: Coefficient(-l2sp));
        }
    }

    /// <summary>Current values: ("l2", (beta/2)||w||^2 summed) and ("l2sp", (alpha/2)||w - w0||^2 summed).</summary>
    public (double L2, double L2SP) Values()
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        double l2Sum = 0, spSum = 0;
        foreach (var (parameter, l2, l2sp, anchor) in _terms)
        {
            if (l2 > 0)
                l2Sum += 0.5 * l2 * parameter.mul(parameter).sum().item<float>();
            if (l2sp > 0)
            {
                var d = parameter.sub(anchor!);
                spSum += 0.5 * l2sp * d.mul(d).sum().item<float>();
            }
        }
        return (l2Sum, spSum);
    }

    public void Dispose()
    {
        foreach (var term in _terms)
            term.Anchor?.Dispose();
        _terms.Clear();
        foreach (var scalar in _scalars.Values)
            scalar.Dispose();
        _scalars.Clear();
    }
}

/// <summary>
/// Batch spectral shrinkage (Chen et al. 2019): eta * sum of the k smallest squared singular values of the
/// batch feature matrix [B, D]. Suppresses feature directions the small target cannot support. Field guide section 4.
/// </summary>
public static class BatchSpectralShrinkage
{
    /// <summary>The penalty as a differentiable scalar.</summary>
    public static Tensor Penalty(Tensor features, int k, double eta)
    {
        if (k < 1)
            throw new BadInputException($"BSS needs k >= 1 (got {k}).");
        var singular = torch.linalg.svdvals(features); // descending
        long count = singular.shape[0];
        var smallest = singular.narrow(0, Math.Max(0, count - k), Math.Min(k, count));
        using var coefficient = eta.ToScalar();
        return smallest.mul(smallest).sum().mul(coefficient);
    }
}
