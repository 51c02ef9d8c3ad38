using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

public sealed class KvCacheBudgetTests
{
    // The demo model's decoder: 4 layers, 4 heads of 48, 512 positions.
    private static readonly LanguageModelSpec Demo = new() { Layers = 4, Heads = 4, HeadDim = 48, HiddenSize = 192, VocabSize = 59, MaxPositions = 512 };

    [Fact]
    public void BytesPerPosition_DemoShape_LayersTimesKeyAndValueTimesHeadsTimesHeadDimTimesFloat()
    {
        Assert.Equal(4 * 2 * 4 * 48 * 4, KvCacheBudget.BytesPerPosition(4, 4, 48));
    }

    [Fact]
    public void For_DefaultSequenceLength_ReservesModelMaxPositions()
    {
        KvCacheBudget budget = KvCacheBudget.For(Demo, new EngineOptions { KvCacheMemoryMiB = 256 });

        Assert.Equal(512, budget.MaxSequenceTokens);
        Assert.Equal(6144L * 512, budget.BytesPerSequence);
        Assert.Equal(85, budget.MaxSequences); // 268 435 456 / 3 145 728 = 85.3
    }

    [Fact]
    public void For_ShorterSequences_FitMore()
    {
        KvCacheBudget budget = KvCacheBudget.For(Demo, new EngineOptions { KvCacheMemoryMiB = 3, MaxSequenceTokens = 64 });

        Assert.Equal(393_216, budget.BytesPerSequence);
        Assert.Equal(8, budget.MaxSequences);
    }

    [Fact]
    public void For_BatchCapBelowBudget_Caps()
    {
        KvCacheBudget budget = KvCacheBudget.For(Demo, new EngineOptions { KvCacheMemoryMiB = 256, MaxBatchSize = 16 });

        Assert.Equal(16, budget.MaxSequences);
    }

    [Fact]
    public void For_BudgetBelowOneSequence_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => KvCacheBudget.For(Demo, new EngineOptions { KvCacheMemoryMiB = 2 }));

        Assert.Contains("KvCacheMemoryMiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_SequenceLongerThanModel_Throws()
    {
        Assert.Throws<ArgumentException>(() => KvCacheBudget.For(Demo, new EngineOptions { MaxSequenceTokens = 1024 }));
    }

    [Fact]
    public void For_ModelWithoutMaxPositionsAndNoLimit_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => KvCacheBudget.For(Demo with { MaxPositions = 0 }, new EngineOptions()));

        Assert.Contains("MaxSequenceTokens", ex.Message, StringComparison.Ordinal);
    }
}
