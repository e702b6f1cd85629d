using TorchSharp;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Tests.Transfer;

public class MeasuresTests
{
    [Fact]
    public void Leep_EqualsItsClosedFormOnAToyJointDistribution()
    {
        // Two source labels z, two target labels y; four examples with hand-picked source softmax rows.
        double[,] theta = { { 0.9, 0.1 }, { 0.8, 0.2 }, { 0.3, 0.7 }, { 0.4, 0.6 } };
        int[] y = [0, 0, 1, 0];
        // Closed form: P(y,z) = (1/n) Σ θ_iz [y_i = y]; P(y|z) = P(y,z) / Σ_y P(y,z); LEEP = mean log Σ_z P(y_i|z) θ_iz.
        var joint = new double[2, 2];
        for (int i = 0; i < 4; i++)
            for (int z = 0; z < 2; z++)
                joint[y[i], z] += theta[i, z] / 4;
        double expected = 0;
        for (int i = 0; i < 4; i++)
        {
            double eep = 0;
            for (int z = 0; z < 2; z++)
                eep += joint[y[i], z] / (joint[0, z] + joint[1, z]) * theta[i, z];
            expected += Math.Log(eep) / 4;
        }
        using var probabilities = torch.tensor(theta.Cast<double>().ToArray(), [4, 2]);
        Assert.Equal(expected, Measures.Leep(probabilities, y, 2), 12);
    }

    [Fact]
    public void Leep_IsZeroForAPerfectOneToOneSource_AndLogOneOverKForAnUninformativeOne()
    {
        using var perfect = torch.tensor(new double[] { 1, 0, 0, 1, 1, 0 }, [3, 2]);
        Assert.Equal(0, Measures.Leep(perfect, [1, 0, 1], 2), 9);
        using var flat = torch.full([6, 3], 1.0 / 3, ScalarType.Float64);
        Assert.Equal(Math.Log(1.0 / 2), Measures.Leep(flat, [0, 1, 0, 1, 0, 1], 2), 9);
    }

    [Fact]
    public void Nce_IsMinusTheConditionalEntropy()
    {
        // z determines y: 0. z independent of y (balanced): -log 2.
        Assert.Equal(0, Measures.Nce([0, 0, 1, 1], [1, 1, 0, 0]), 12);
        Assert.Equal(-Math.Log(2), Measures.Nce([0, 0, 1, 1], [0, 1, 0, 1]), 12);
        // One mixed cell: z=0 -> y {0,0,1}, z=1 -> y {1}: H(Y|Z) = 3/4 H(1/3, 2/3).
        double h = -(1.0 / 3 * Math.Log(1.0 / 3) + 2.0 / 3 * Math.Log(2.0 / 3));
        Assert.Equal(-0.75 * h, Measures.Nce([0, 0, 0, 1], [0, 0, 1, 1]), 12);
    }

    [Fact]
    public void HScore_MatchesAnIndependentComputation()
    {
        var random = new Random(3);
        int n = 40, d = 3;
        var f = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            for (int j = 0; j < d; j++)
                f[i * d + j] = random.NextDouble() + (j == 0 ? 2 * y[i] : 0);
        }
        // Independent: explicit covariance sums and a 3x3 inverse by cofactors.
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                mean[j] += f[i * d + j] / n;
        var cov = new double[d, d];
        var classMean = new double[2, d];
        var count = new double[2];
        for (int i = 0; i < n; i++)
        {
            count[y[i]]++;
            for (int j = 0; j < d; j++)
            {
                classMean[y[i], j] += f[i * d + j] - mean[j];
                for (int k = 0; k < d; k++)
                    cov[j, k] += (f[i * d + j] - mean[j]) * (f[i * d + k] - mean[k]) / n;
            }
        }
        var between = new double[d, d];
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++)
                    between[j, k] += count[c] / n * (classMean[c, j] / count[c]) * (classMean[c, k] / count[c]);
        var inverse = Inverse3(cov);
        double expected = 0;
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                expected += inverse[j, k] * between[k, j];
        using var features = torch.tensor(f, [n, d]);
        Assert.Equal(expected, Measures.HScore(features, y, 2), 8);
    }

    [Fact]
    public void LedoitWolfShrinkage_MatchesAHandComputedCase()
    {
        // Six centred rows in two dimensions. S = FᵀF / 6 = [[28, 1], [1, 1]] / 6, μ = tr S / 2 = 29 / 12.
        // d² = ‖S − μI‖² / 2 = (2 · 2.25² + 2 / 36) / 2 = 366.5 / 72.
        // b̄² = (Σ_k ‖x_k‖⁴ / 6 − ‖S‖²) / (6 · 2) = (201.25 / 6 − 787 / 36) / 12 = 420.5 / 432.  α = b̄² / d² = 420.5 / 2199.
        double[] rows = [3, 0, -3, 0, 2, 0.5, -2, -0.5, 1, -0.5, -1, 0.5];
        using var features = torch.tensor(rows, [6, 2]);
        Assert.Equal(420.5 / 2199, Measures.LedoitWolfShrinkage(features), 12);
        // The same from the paper's definition, b̄² = (1/n²) Σ_k ‖x_k x_kᵀ − S‖² with ‖A‖² = tr(AAᵀ) / p, summed explicitly.
        double[,] cov = { { 28.0 / 6, 1.0 / 6 }, { 1.0 / 6, 1.0 / 6 } };
        double b2 = 0;
        for (int k = 0; k < 6; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    b2 += Math.Pow(rows[2 * k + i] * rows[2 * k + j] - cov[i, j], 2) / 2 / 36;
        Assert.Equal(b2 / (366.5 / 72), Measures.LedoitWolfShrinkage(features), 12);
        // Shifting every row leaves it alone (it centres), and so does scaling.
        using var moved = features * 3 + 7;
        Assert.Equal(420.5 / 2199, Measures.LedoitWolfShrinkage(moved), 12);
    }

    [Fact]
    public void HScoreShrinkage_IsTheHScoreOfTheShrunkCovariance_ScaledByOneMinusAlpha()
    {
        double[] rows = [3, 0, -3, 0, 2, 0.5, -2, -0.5, 1, -0.5, -1, 0.5];
        int[] y = [0, 1, 0, 1, 1, 0];
        double alpha = 420.5 / 2199, mu = 29.0 / 12;
        // cov_α = (1 − α) S + α μ I, inverted by hand; between-class covariance from the class means of the centred rows.
        double a = (1 - alpha) * 28 / 6 + alpha * mu, b = (1 - alpha) / 6, c = (1 - alpha) / 6 + alpha * mu;
        double det = a * c - b * b;
        double[,] inverse = { { c / det, -b / det }, { -b / det, a / det } };
        double[] mean0 = [(3 + 2 - 1) / 3.0, (0 + 0.5 + 0.5) / 3.0], mean1 = [(-3 - 2 + 1) / 3.0, (0 - 0.5 - 0.5) / 3.0];
        var between = new double[2, 2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                between[i, j] = 0.5 * mean0[i] * mean0[j] + 0.5 * mean1[i] * mean1[j];
        double expected = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                expected += (1 - alpha) * inverse[i, j] * between[j, i];
        using var features = torch.tensor(rows, [6, 2]);
        Assert.Equal(expected, Measures.HScoreShrinkage(features, y, 2), 10);
        Assert.True(expected < Measures.HScore(features, y, 2));
    }

    [Fact]
    public void HScoreShrinkage_DoesNotSaturate_WithFewerExamplesThanDimensions_AndStillRanksSeparableFeaturesFirst()
    {
        var random = new Random(17);
        int n = 30, d = 100, k = 3;
        var y = Enumerable.Range(0, n).Select(i => i % k).ToArray();
        var separable = new double[n * d];
        var noise = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                separable[i * d + j] = Gaussian(random) + (j % k == y[i] ? 1.0 : 0);
                noise[i * d + j] = Gaussian(random);
            }
        using var good = torch.tensor(separable, [n, d]);
        using var bad = torch.tensor(noise, [n, d]);
        // The plain H-score is K − 1 for both: with n ≤ d any labelling is perfectly explained by the sample covariance.
        Assert.Equal(k - 1, Measures.HScore(good, y, k), 6);
        Assert.Equal(k - 1, Measures.HScore(bad, y, k), 6);
        double goodShrunk = Measures.HScoreShrinkage(good, y, k), badShrunk = Measures.HScoreShrinkage(bad, y, k);
        // Shrunk (α ≈ 0.67 and 0.94 here): clearly below K − 1, with random features at under half of it.
        Assert.InRange(goodShrunk, 0, k - 1 - 0.2);
        Assert.InRange(badShrunk, 0, (k - 1) / 2.0);
        Assert.True(goodShrunk > 2 * badShrunk, $"separable {goodShrunk}, random {badShrunk}");
    }

    [Fact]
    public void HScoreShrinkage_ApproachesTheHScore_WhenExamplesFarOutnumberDimensions()
    {
        var random = new Random(2);
        int n = 4000, d = 3;
        var y = Enumerable.Range(0, n).Select(i => i % 2).ToArray();
        var f = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                f[i * d + j] = Gaussian(random) * (j + 1) + (j == 0 ? y[i] : 0);
        using var features = torch.tensor(f, [n, d]);
        Assert.InRange(Measures.LedoitWolfShrinkage(features), 0, 0.01);
        double plain = Measures.HScore(features, y, 2);
        Assert.InRange(Measures.HScoreShrinkage(features, y, 2), plain * 0.97, plain);
    }

    [Fact]
    public void LogMe_IsTheMaximumOfTheEvidence_ComputedIndependentlyWithDenseMatrices()
    {
        var random = new Random(5);
        int n = 30, d = 4;
        var f = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < d; j++)
                f[i * d + j] = random.NextDouble() + (j == y[i] ? 1.5 : 0);
        }
        using var features = torch.tensor(f, [n, d]);
        double ours = Measures.LogMe(features, y, 3);
        // Independent: the evidence with explicit A = αI + βFᵀF, its inverse and determinant, maximised over a fine log grid.
        double expected = 0;
        for (int k = 0; k < 3; k++)
        {
            var target = y.Select(label => label == k ? 1.0 : 0.0).ToArray();
            double best = double.NegativeInfinity;
            for (double la = -6; la <= 6; la += 0.05)
                for (double lb = -6; lb <= 6; lb += 0.05)
                    best = Math.Max(best, DenseEvidence(f, target, n, d, Math.Exp(la), Math.Exp(lb)));
            expected += best / n / 3;
        }
        Assert.InRange(ours - expected, -1e-9, 2e-3); // the fixed point reaches the grid's maximum (or slightly above, between grid points)
    }

    [Fact]
    public void Knn_AndProbe_AreMaximalOnPerfectlySeparableFeatures()
    {
        var random = new Random(1);
        int n = 60;
        var f = new float[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            double angle = y[i] * 2 * Math.PI / 3 + (random.NextDouble() - 0.5) * 0.2;
            f[2 * i] = (float)Math.Cos(angle);
            f[2 * i + 1] = (float)Math.Sin(angle);
        }
        using var features = torch.tensor(f, [n, 2]);
        using var train = features[..40];
        using var val = features[40..];
        Assert.Equal(1.0, Measures.KnnAccuracy(train, y[..40], val, y[40..], 5));
        var (_, accuracy, _) = LinearProbe.FitSelected(train, y[..40], val, y[40..], 3);
        Assert.Equal(1.0, accuracy);
        // Labels shuffled against the features: kNN falls to about chance.
        var shuffled = y.OrderBy(_ => random.Next()).ToArray();
        Assert.InRange(Measures.KnnAccuracy(train, shuffled[..40], val, shuffled[40..], 5), 0, 0.7);
    }

    [Fact]
    public void Spearman_RanksWithTies_AndIsUndefinedForConstants()
    {
        Assert.Equal(1, Measures.Spearman([1, 2, 3, 4], [10, 20, 30, 400]), 12);
        Assert.Equal(-1, Measures.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        // Ties get average ranks: x ranks 1, 2.5, 2.5, 4 against 1..4.
        Assert.Equal(4.5 / Math.Sqrt(4.5 * 5), Measures.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 12);
        Assert.True(double.IsNaN(Measures.Spearman([1, 1, 1], [1, 2, 3])));
    }

    private static double DenseEvidence(double[] f, double[] y, int n, int d, double alpha, double beta)
    {
        var a = new double[d, d];
        var fty = new double[d];
        for (int j = 0; j < d; j++)
        {
            a[j, j] = alpha;
            for (int i = 0; i < n; i++)
            {
                fty[j] += f[i * d + j] * y[i];
                for (int k = 0; k < d; k++)
                    a[j, k] += beta * f[i * d + j] * f[i * d + k];
            }
        }
        using var aTensor = torch.tensor(a.Cast<double>().ToArray(), [d, d]);
        using var inverse = torch.linalg.inv(aTensor);
        double logDet = torch.linalg.slogdet(aTensor).Item2.item<double>();
        var inv = inverse.data<double>().ToArray();
        var m = new double[d];
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                m[j] += beta * inv[j * d + k] * fty[k];
        double residual = 0, mm = m.Sum(v => v * v);
        for (int i = 0; i < n; i++)
        {
            double prediction = 0;
            for (int j = 0; j < d; j++)
                prediction += f[i * d + j] * m[j];
            residual += (prediction - y[i]) * (prediction - y[i]);
        }
        return d / 2.0 * Math.Log(alpha) + n / 2.0 * Math.Log(beta) - n / 2.0 * Math.Log(2 * Math.PI) - beta / 2 * residual - alpha / 2 * mm - logDet / 2;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double[,] Inverse3(double[,] m)
    {
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
                     + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, e = (i + 2) % 3;
                r[i, j] = (m[a, c] * m[b, e] - m[a, e] * m[b, c]) / det;
            }
        return r;
    }
}
