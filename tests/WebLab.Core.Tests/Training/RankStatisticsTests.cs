using WebLab.Training;

namespace WebLab.Tests.Training;

public class RankStatisticsTests
{
    [Fact]
    public void Ranks_AreOneBased_AndTiesShareTheirAverageRank()
    {
        // scipy.stats.rankdata's documentation example.
        Assert.Equal([1, 2.5, 4, 2.5], RankStatistics.Ranks([0, 2, 3, 2]));
        Assert.Equal([3, 3, 3, 1, 5], RankStatistics.Ranks([7, 7, 7, -1, 9]));
        Assert.Throws<ArgumentException>(() => RankStatistics.Ranks([1, double.NaN]));
    }

    [Fact]
    public void Pearson_OnKnownValues_AndUndefinedForAConstant()
    {
        // Deviations -2..2 against -2, 0, 1, 0, 1: r = 6 / √(10 · 6).
        Assert.Equal(6 / Math.Sqrt(60), RankStatistics.Pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 12);
        Assert.Equal(-1, RankStatistics.Pearson([1, 2, 3], [30, 20, 10]), 12);
        Assert.True(double.IsNaN(RankStatistics.Pearson([1, 2, 3], [4, 4, 4])));
        Assert.Throws<ArgumentException>(() => RankStatistics.Pearson([1, 2, 3], [1, 2]));
    }

    [Fact]
    public void Spearman_WithTies_MatchesScipysDocumentedExample()
    {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233 (y ranks 1, 2, 3.5, 5, 3.5: 8 / √95).
        Assert.Equal(0.8207826816681233, RankStatistics.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 12);
        Assert.Equal(1, RankStatistics.Spearman([1, 2, 3, 4], [1, 8, 27, 1000]), 12); // monotone, not linear
        Assert.True(double.IsNaN(RankStatistics.Spearman([2, 2, 2], [1, 2, 3])));
        Assert.True(double.IsNaN(RankStatistics.Spearman([1, 2, double.NaN], [1, 2, 3])));
    }

    [Fact]
    public void KendallTauB_CorrectsForTies_AsInScipysDocumentedExample()
    {
        // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) = -0.47140452079103173: concordant − discordant = −4,
        // 8 pairs untied in x (two tied), 9 untied in y (one tied): −4 / √72.
        Assert.Equal(-0.47140452079103173, RankStatistics.KendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]), 12);
        // Without ties it is tau-a: 5 concordant, 1 discordant of 6 pairs.
        Assert.Equal(4.0 / 6, RankStatistics.KendallTauB([1, 2, 3, 4], [1, 3, 2, 4]), 12);
        Assert.True(double.IsNaN(RankStatistics.KendallTauB([1, 2, 3], [5, 5, 5])));
    }

    [Fact]
    public void PartialSpearman_EqualsTheClosedFormOfThePairwiseRankCorrelations()
    {
        var random = new Random(11);
        var z = Normals(random, 40);
        var x = z.Select(v => v + Normal(random)).ToArray();
        var y = z.Select((v, i) => 0.5 * v + 0.3 * x[i] + Normal(random)).ToArray();
        double rxy = RankStatistics.Spearman(x, y), rxz = RankStatistics.Spearman(x, z), ryz = RankStatistics.Spearman(y, z);
        double expected = (rxy - rxz * ryz) / Math.Sqrt((1 - rxz * rxz) * (1 - ryz * ryz));
        Assert.Equal(expected, RankStatistics.PartialSpearman(x, y, z), 10);
    }

    [Fact]
    public void PartialSpearman_GoesToZero_WhenZExplainsBothSides()
    {
        var random = new Random(3);
        var z = Normals(random, 400);
        var x = z.Select(v => v + 0.2 * Normal(random)).ToArray();
        var y = z.Select(v => Math.Exp(v) + 0.2 * Normal(random)).ToArray(); // related to z monotonically, not linearly
        Assert.True(RankStatistics.Spearman(x, y) > 0.8);
        Assert.InRange(RankStatistics.PartialSpearman(x, y, z), -0.15, 0.15);
        // A shared component beyond z survives the control.
        var shared = Normals(random, 400);
        var x2 = z.Select((v, i) => v + shared[i]).ToArray();
        var y2 = z.Select((v, i) => v + shared[i] + 0.3 * Normal(random)).ToArray();
        Assert.True(RankStatistics.PartialSpearman(x2, y2, z) > 0.8);
    }

    [Fact]
    public void Test_OfAPerfectlyMonotoneSampleOfEight_HasAPValueOnTheScaleOfTwoIn8Factorial()
    {
        // Only 2 of the 8! = 40320 orders reach |ρ| = 1: about 0.5 of 10 000 random permutations, so p ≈ 1 / 10 001.
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        double[] y = [0.1, 0.4, 0.5, 0.9, 1.3, 2.0, 2.2, 3.5];
        var tested = RankStatistics.Test(x, y, RankStatistics.Spearman);
        Assert.Equal(1, tested.Estimate, 12);
        Assert.InRange(tested.PValue, 1.0 / 10_001, 4.0 / 10_001); // never 0 (the +1), and at most 3 extreme permutations
        Assert.Equal(8, tested.N);
        // Every resample of a monotone set is monotone (constant resamples are skipped): the interval is the point.
        Assert.Equal(1, tested.Ci95[0], 12);
        Assert.Equal(1, tested.Ci95[1], 12);
    }

    [Fact]
    public void Test_PValue_MatchesTheExactPermutationDistribution_AndIsTwoSided()
    {
        double[] x = [1, 2, 3, 4, 5, 6];
        double[] y = [2, 1, 4, 3, 6, 5];
        // Exact: every one of the 720 orders of y.
        double observed = RankStatistics.Spearman(x, y);
        var all = Orders(y).Select(order => Math.Abs(RankStatistics.Spearman(x, order))).ToList();
        Assert.Equal(720, all.Count);
        double exact = all.Count(v => v >= Math.Abs(observed) - 1e-12) / 720.0;
        var tested = RankStatistics.Test(x, y, RankStatistics.Spearman, permutations: 20_000, resamples: 200);
        Assert.Equal(observed, tested.Estimate, 12);
        Assert.InRange(tested.PValue, exact - 0.015, exact + 0.015);
        // Reversing y flips the sign, not the two-sided p.
        var reversed = RankStatistics.Test(x, y.Select(v => -v).ToArray(), RankStatistics.Spearman, permutations: 20_000, resamples: 200);
        Assert.Equal(-observed, reversed.Estimate, 12);
        Assert.InRange(reversed.PValue, exact - 0.015, exact + 0.015);
    }

    [Fact]
    public void Test_OfIndependentNoise_GivesLargeAndRoughlyUniformPValues()
    {
        var random = new Random(7);
        var p = Enumerable.Range(0, 40).Select(i =>
            RankStatistics.Test(Normals(random, 20), Normals(random, 20), RankStatistics.KendallTauB, permutations: 1000, resamples: 100, seed: i).PValue).ToList();
        Assert.InRange(p.Average(), 0.35, 0.65);
        Assert.True(p.Count(v => v < 0.05) <= 6, $"{p.Count(v => v < 0.05)} of 40 below 0.05");
        Assert.True(p.Count(v => v > 0.5) >= 12);
    }

    [Fact]
    public void Test_IsDeterministicForASeed_AndItsIntervalHoldsTheEstimate()
    {
        var random = new Random(5);
        var x = Normals(random, 30);
        var y = x.Select(v => v + Normal(random)).ToArray();
        var a = RankStatistics.Test(x, y, RankStatistics.Pearson, permutations: 500, resamples: 500, seed: 1);
        var b = RankStatistics.Test(x, y, RankStatistics.Pearson, permutations: 500, resamples: 500, seed: 1);
        var c = RankStatistics.Test(x, y, RankStatistics.Pearson, permutations: 500, resamples: 500, seed: 2);
        Assert.Equal((a.PValue, a.Ci95[0], a.Ci95[1]), (b.PValue, b.Ci95[0], b.Ci95[1]));
        Assert.NotEqual(a.Ci95[0], c.Ci95[0]);
        Assert.InRange(a.Estimate, a.Ci95[0], a.Ci95[1]);
        Assert.True(a.Ci95[1] - a.Ci95[0] is > 0.05 and < 0.8);
    }

    [Fact]
    public void Test_OfAnUndefinedStatistic_IsNaNThroughout()
    {
        var tested = RankStatistics.Test([1, 2, 3], [4, 4, 4], RankStatistics.Spearman, permutations: 10, resamples: 10);
        Assert.True(double.IsNaN(tested.Estimate) && double.IsNaN(tested.PValue) && tested.Ci95.All(double.IsNaN));
        Assert.Equal(3, tested.N);
    }

    [Fact]
    public void TestPartial_SeesNoLinkThatZExplains_ButFindsOneBeyondIt()
    {
        var random = new Random(9);
        var z = Normals(random, 60);
        var x = z.Select(v => v + 0.5 * Normal(random)).ToArray();
        var y = z.Select(v => v + 0.5 * Normal(random)).ToArray();
        // Unconditionally x and y are strongly linked; given z they are not.
        Assert.True(RankStatistics.Test(x, y, RankStatistics.Spearman, permutations: 2000, resamples: 200).PValue < 0.001);
        var conditional = RankStatistics.TestPartial(x, y, z, permutations: 2000, resamples: 500);
        Assert.True(conditional.PValue > 0.05, $"p = {conditional.PValue}");
        Assert.InRange(0, conditional.Ci95[0], conditional.Ci95[1]);
        Assert.Equal(RankStatistics.PartialSpearman(x, y, z), conditional.Estimate, 12);

        var shared = Normals(random, 60);
        var x2 = x.Select((v, i) => v + shared[i]).ToArray();
        var y2 = y.Select((v, i) => v + shared[i]).ToArray();
        var linked = RankStatistics.TestPartial(x2, y2, z, permutations: 2000, resamples: 500);
        Assert.True(linked.PValue < 0.001, $"p = {linked.PValue}");
        Assert.True(linked.Ci95[0] > 0);
    }

    [Fact]
    public void TestPartial_HoldsItsLevel_WhenYDependsOnZ()
    {
        // Permuting y itself would break y's link to z and reject far too often here; Freedman-Lane keeps it.
        var random = new Random(13);
        var p = Enumerable.Range(0, 40).Select(i =>
        {
            var z = Normals(random, 25);
            var x = z.Select(v => v + 0.7 * Normal(random)).ToArray();
            var y = z.Select(v => v + 0.7 * Normal(random)).ToArray();
            return RankStatistics.TestPartial(x, y, z, permutations: 500, resamples: 20, seed: i).PValue;
        }).ToList();
        Assert.True(p.Count(v => v < 0.05) <= 6, $"{p.Count(v => v < 0.05)} of 40 below 0.05");
        Assert.InRange(p.Average(), 0.3, 0.7);
    }

    private static IEnumerable<double[]> Orders(double[] values)
    {
        if (values.Length <= 1)
        {
            yield return values;
            yield break;
        }
        for (int i = 0; i < values.Length; i++)
            foreach (var rest in Orders([.. values[..i], .. values[(i + 1)..]]))
                yield return [values[i], .. rest];
    }

    internal static double[] Normals(Random random, int n) => [.. Enumerable.Range(0, n).Select(_ => Normal(random))];

    // Box-Muller.
    internal static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
