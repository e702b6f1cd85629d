using TorchSharp;
using WebLab.Training;
using static TorchSharp.torch;

namespace WebLab.Transfer;

/// <summary>
/// Transferability measures (field guide, "5. Transferability measures"): cheap scores of how well a source model's
/// outputs or features fit a target's labels, computed before any training. Higher is better for all of them.
/// Inputs are CPU tensors; computations run in float64.
/// </summary>
public static class Measures
{
    /// <summary>
    /// Why LEEP and NCE are missing for a source published without its classifier (a feature extractor): both read the
    /// source head's predictions, and there is no honest number to put in their place.
    /// </summary>
    public const string NoHeadReason = "not available: this source has no classifier head";

    /// <summary>
    /// LEEP (Nguyen et al. 2020): with the source head's softmax θ(x)_z, the empirical joint P(y, z) = (1/n) Σ_i θ(x_i)_z [y_i = y],
    /// P(y|z) = P(y, z) / P(z), and LEEP = (1/n) Σ_i log Σ_z P(y_i|z) θ(x_i)_z. At most 0 (the log-likelihood of a
    /// perfect predictor); log(1/K) for a source that says nothing about the target.
    /// </summary>
    public static double Leep(Tensor sourceProbabilities, IReadOnlyList<int> labels, int classes)
    {
        using var scope = torch.NewDisposeScope();
        var theta = sourceProbabilities.to(ScalarType.Float64);
        int n = CheckRows(theta, labels);
        var y = OneHot(labels, classes);                               // [n, K]
        var joint = y.t().matmul(theta).div_(n);                       // [K, Z]
        var conditional = joint / joint.sum(0, keepdim: true).clamp_min(1e-300); // P(y|z)
        var eep = (theta.matmul(conditional.t()) * y).sum(1);          // Σ_z P(y_i|z) θ_z
        return eep.clamp_min(1e-300).log().mean().item<double>();
    }

    /// <summary>
    /// NCE (Tran et al. 2019): the negative conditional entropy −H(Y|Z) of the target label given the source's hard
    /// prediction z = argmax θ(x). 0 when z determines y; −log K when it says nothing.
    /// </summary>
    public static double Nce(IReadOnlyList<int> sourcePredictions, IReadOnlyList<int> labels)
    {
        if (sourcePredictions.Count != labels.Count || labels.Count == 0)
            throw new ArgumentException("one prediction per label is needed");
        var joint = new Dictionary<(int Z, int Y), int>();
        var marginal = new Dictionary<int, int>();
        for (int i = 0; i < labels.Count; i++)
        {
            var key = (sourcePredictions[i], labels[i]);
            joint[key] = joint.GetValueOrDefault(key) + 1;
            marginal[sourcePredictions[i]] = marginal.GetValueOrDefault(sourcePredictions[i]) + 1;
        }
        double n = labels.Count;
        return joint.Sum(kv => kv.Value / n * Math.Log(kv.Value / (double)marginal[kv.Key.Z]));
    }

    /// <summary>
    /// H-score (Bao et al. 2019): tr(cov(f)⁻¹ cov(E[f|y])) on features f; the inverse is a pseudo-inverse (eigenvalues
    /// below 1e-10 of the largest are dropped) so that fewer examples than dimensions stay defined. Between 0 and K − 1,
    /// and stuck near K − 1 for any features once there are about as many dimensions as examples (see
    /// <see cref="HScoreShrinkage"/>).
    /// </summary>
    public static double HScore(Tensor features, IReadOnlyList<int> labels, int classes)
    {
        using var scope = torch.NewDisposeScope();
        var f = features.to(ScalarType.Float64);
        int n = CheckRows(f, labels);
        f = f - f.mean([0L], keepdim: true);
        var covF = f.t().matmul(f).div_(n);
        return TraceOfPseudoInverseTimes(covF, ClassMeanCovariance(f, labels, classes));
    }

    /// <summary>
    /// Shrinkage H-score H_α (Ibrahim, Ponomareva and Mazumder, "Newer is not always better: rethinking transferability
    /// metrics, their peculiarities, stability and performance", ECML-PKDD 2022): tr(cov_α(f)⁻¹ (1 − α) cov(E[f|y])) with
    /// cov_α(f) = (1 − α) cov(f) + α μ I, μ = tr cov(f) / d, the Ledoit-Wolf estimate with its optimal coefficient α
    /// (<see cref="LedoitWolfShrinkage"/>). The paper shows that the plain H-score's poor rankings come from the sample
    /// covariance, which is near-singular with about as many dimensions as examples (the score then saturates at K − 1 for
    /// any features); the shrunk one is well conditioned. Between 0 and K − 1; equal to <see cref="HScore"/> when α = 0.
    /// Both covariances divide by n here (a common reference implementation divides the between-class one by n − 1, a
    /// factor n / (n − 1) that does not change rankings at a fixed n).
    /// </summary>
    public static double HScoreShrinkage(Tensor features, IReadOnlyList<int> labels, int classes)
    {
        using var scope = torch.NewDisposeScope();
        var f = features.to(ScalarType.Float64);
        int n = CheckRows(f, labels);
        int d = (int)f.shape[1];
        f = f - f.mean([0L], keepdim: true);
        var covF = f.t().matmul(f).div_(n);
        double alpha = LedoitWolf(f, covF);
        double mu = covF.trace().item<double>() / d;
        var shrunk = covF.mul(1 - alpha).add_(torch.eye(d, dtype: ScalarType.Float64).mul_(alpha * mu));
        return (1 - alpha) * TraceOfPseudoInverseTimes(shrunk, ClassMeanCovariance(f, labels, classes));
    }

    /// <summary>
    /// Ledoit and Wolf's (2004) optimal shrinkage coefficient of the sample covariance S = FᵀF / n (F the centred rows
    /// x_k) toward μI: with ‖A‖² = tr(AAᵀ) / d, d² = ‖S − μI‖² and b̄² = (1/n²) Σ_k ‖x_k x_kᵀ − S‖², α = min(b̄², d²) / d²
    /// (0 when d² = 0). The same estimate as scikit-learn's <c>ledoit_wolf_shrinkage</c>.
    /// </summary>
    internal static double LedoitWolfShrinkage(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var f = features.to(ScalarType.Float64);
        f = f - f.mean([0L], keepdim: true);
        return LedoitWolf(f, f.t().matmul(f).div_(f.shape[0]));
    }

    // Σ_k ‖x_k x_kᵀ − S‖_F² = Σ_k ‖x_k‖⁴ − n‖S‖_F², so b̄² needs only the row norms and S, never the n outer products.
    private static double LedoitWolf(Tensor centred, Tensor covariance)
    {
        double n = centred.shape[0], d = centred.shape[1];
        double mu = covariance.trace().item<double>() / d;
        double covarianceNorm = covariance.square().sum().item<double>();
        double fourth = centred.square().sum(1).square().sum().item<double>();
        double dispersion = (covarianceNorm - d * mu * mu) / d;
        double noise = Math.Max(0, (fourth / n - covarianceNorm) / (n * d));
        return dispersion <= 0 ? 0 : Math.Min(noise, dispersion) / dispersion;
    }

    /// <summary>cov(E[f|y]) of centred features: each row replaced by its class mean.</summary>
    private static Tensor ClassMeanCovariance(Tensor centred, IReadOnlyList<int> labels, int classes)
    {
        var y = OneHot(labels, classes);
        var counts = y.sum(dim: 0).clamp_min(1);
        var classMeans = y.t().matmul(centred) / counts.unsqueeze(1);  // [K, D]
        var g = y.matmul(classMeans);
        return g.t().matmul(g).div_(labels.Count);
    }

    /// <summary>tr(A⁺B) for a symmetric A (eigenvalues below 1e-10 of the largest dropped).</summary>
    private static double TraceOfPseudoInverseTimes(Tensor a, Tensor b) =>
        torch.linalg.pinv(a, rtol: 1e-10, hermitian: true).matmul(b).trace().item<double>();

    /// <summary>
    /// LogME (You et al. 2021): for each class's one-hot target, the log marginal evidence per example of a Bayesian
    /// linear model y = f·w + ε with w ~ N(0, α⁻¹I), ε ~ N(0, β⁻¹), maximised over α and β by MacKay's fixed point;
    /// averaged over classes. Features are used as given (no centring), as in the paper.
    /// </summary>
    public static double LogMe(Tensor features, IReadOnlyList<int> labels, int classes)
    {
        using var scope = torch.NewDisposeScope();
        var f = features.to(ScalarType.Float64);
        int n = CheckRows(f, labels);
        int d = (int)f.shape[1];
        var (u, s, _) = torch.linalg.svd(f, fullMatrices: false);
        var singular = s.data<double>().ToArray();
        var y = OneHot(labels, classes);
        var projected = u.t().matmul(y);                               // z = Uᵀy per class: [r, K]
        double total = 0;
        for (int k = 0; k < classes; k++)
        {
            var z = projected[.., k].data<double>().ToArray();
            double yy = y[.., k].square().sum().item<double>();
            total += Evidence(singular, z, yy, n, d).Evidence / n;
        }
        return total / classes;
    }

    /// <summary>
    /// The maximised evidence of one target column: <paramref name="s"/> singular values of F, <paramref name="z"/> = Uᵀy,
    /// <paramref name="yy"/> = ‖y‖². Returns the evidence and the α, β reached.
    /// </summary>
    internal static (double Evidence, double Alpha, double Beta) Evidence(double[] s, double[] z, double yy, int n, int d)
    {
        int r = s.Length;
        var sigma = s.Select(v => v * v).ToArray();
        double zz = z.Sum(v => v * v);
        double alpha = 1, beta = 1;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double gamma = 0, mm = 0, residual = yy - zz;
            for (int i = 0; i < r; i++)
            {
                double denominator = alpha + beta * sigma[i];
                gamma += beta * sigma[i] / denominator;
                double m = beta * s[i] * z[i] / denominator;
                mm += m * m;
                double e = s[i] * m - z[i];
                residual += e * e;
            }
            double newAlpha = gamma / Math.Max(mm, 1e-300);
            double newBeta = (n - gamma) / Math.Max(residual, 1e-300);
            bool converged = Math.Abs(newAlpha - alpha) / alpha < 1e-6 && Math.Abs(newBeta - beta) / beta < 1e-6;
            alpha = newAlpha;
            beta = newBeta;
            if (converged)
                break;
        }
        return (LogEvidence(s, z, yy, n, d, alpha, beta), alpha, beta);
    }

    /// <summary>log p(y | F, α, β) through the SVD (σᵢ = sᵢ², zero beyond the rank).</summary>
    internal static double LogEvidence(double[] s, double[] z, double yy, int n, int d, double alpha, double beta)
    {
        double mm = 0, residual = yy - z.Sum(v => v * v), logDet = (d - s.Length) * Math.Log(alpha);
        for (int i = 0; i < s.Length; i++)
        {
            double denominator = alpha + beta * s[i] * s[i];
            double m = beta * s[i] * z[i] / denominator;
            mm += m * m;
            double e = s[i] * m - z[i];
            residual += e * e;
            logDet += Math.Log(denominator);
        }
        return d / 2.0 * Math.Log(alpha) + n / 2.0 * Math.Log(beta) - n / 2.0 * Math.Log(2 * Math.PI)
               - beta / 2 * residual - alpha / 2 * mm - logDet / 2;
    }

    /// <summary>
    /// k-nearest-neighbour accuracy on <paramref name="query"/> with <paramref name="reference"/> as the memory, by cosine
    /// similarity of the features; a majority vote whose ties go to the class with the larger summed similarity.
    /// </summary>
    public static double KnnAccuracy(Tensor reference, IReadOnlyList<int> referenceLabels, Tensor query, IReadOnlyList<int> queryLabels, int k)
    {
        if (queryLabels.Count == 0)
            return 0;
        using var scope = torch.NewDisposeScope();
        CheckRows(reference, referenceLabels);
        CheckRows(query, queryLabels);
        k = Math.Clamp(k, 1, referenceLabels.Count);
        var a = nn.functional.normalize(reference.to(ScalarType.Float64), dim: 1);
        var b = nn.functional.normalize(query.to(ScalarType.Float64), dim: 1);
        var (values, indices) = b.matmul(a.t()).topk(k, dim: 1);
        var similarity = values.data<double>().ToArray();
        var neighbour = indices.data<long>().ToArray();
        int correct = 0;
        for (int q = 0; q < queryLabels.Count; q++)
        {
            var votes = new Dictionary<int, (int Count, double Similarity)>();
            for (int j = 0; j < k; j++)
            {
                int label = referenceLabels[(int)neighbour[q * k + j]];
                var (count, sum) = votes.GetValueOrDefault(label);
                votes[label] = (count + 1, sum + similarity[q * k + j]);
            }
            int predicted = votes.OrderByDescending(v => v.Value.Count).ThenByDescending(v => v.Value.Similarity).First().Key;
            if (predicted == queryLabels[q])
                correct++;
        }
        return correct / (double)queryLabels.Count;
    }

    /// <summary>
    /// Spearman's rank correlation (<see cref="RankStatistics.Spearman"/>), except NaN for fewer than 3 pairs: the lab's track
    /// record does not report a correlation of two points.
    /// </summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count)
            throw new ArgumentException("both sides need the same length");
        return x.Count < 3 ? double.NaN : RankStatistics.Spearman(x, y);
    }

    private static Tensor OneHot(IReadOnlyList<int> labels, int classes)
    {
        if (labels.Any(l => l < 0 || l >= classes))
            throw new ArgumentException($"labels must be in 0..{classes - 1}");
        return nn.functional.one_hot(torch.tensor(labels.Select(l => (long)l).ToArray()), classes).to(ScalarType.Float64);
    }

    private static int CheckRows(Tensor rows, IReadOnlyList<int> labels)
    {
        if (rows.dim() != 2 || rows.shape[0] != labels.Count || labels.Count == 0)
            throw new ArgumentException($"expected [{labels.Count}, D] rows, got [{string.Join(", ", rows.shape)}]");
        return labels.Count;
    }
}
