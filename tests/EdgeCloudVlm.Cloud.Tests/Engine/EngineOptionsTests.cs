using System.ComponentModel.DataAnnotations;
using EdgeCloudVlm.Cloud.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

[Collection(EngineModelCollection.Name)]
public sealed class EngineOptionsTests(EngineModelFixture fixture)
{
    [Theory]
    [InlineData(nameof(EngineOptions.KvCacheMemoryMiB))]
    [InlineData(nameof(EngineOptions.MaxQueuedRequests))]
    [InlineData(nameof(EngineOptions.MaxBatchSize))]
    [InlineData(nameof(EngineOptions.DefaultDeadline))]
    [InlineData(nameof(EngineOptions.PrefixCacheMiB))]
    [InlineData(nameof(EngineOptions.MaxSequenceTokens))]
    [InlineData(nameof(EngineOptions.ImageWorkers))]
    [InlineData(nameof(EngineOptions.PrefillWorkers))]
    public void Validate_OutOfRangeValue_Fails(string property)
    {
        EngineOptions options = Invalid(property);
        var results = new List<ValidationResult>();

        bool valid = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(results, r => r.MemberNames.Contains(property));
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = new EngineOptions();

        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1, 1)]
    [InlineData(8, 2, 1)]
    [InlineData(16, 4, 2)]
    [InlineData(64, 8, 4)]
    [InlineData(256, 8, 4)]
    public void WorkersFor_Unset_FollowProcessorCount(int processors, int imageWorkers, int prefillWorkers)
    {
        var options = new EngineOptions();

        Assert.Equal(imageWorkers, options.ImageWorkersFor(processors));
        Assert.Equal(prefillWorkers, options.PrefillWorkersFor(processors));
    }

    [Fact]
    public void WorkersFor_Configured_WinOverProcessorCount()
    {
        var options = new EngineOptions { ImageWorkers = 3, PrefillWorkers = 0 };

        Assert.Equal(3, options.ImageWorkersFor(64));
        Assert.Equal(0, options.PrefillWorkersFor(64));
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new GenerationEngine(
            "shapes-vqa", fixture.Model, Invalid(nameof(EngineOptions.MaxQueuedRequests)), TimeProvider.System, NullLogger<GenerationEngine>.Instance));

        Assert.Contains(nameof(EngineOptions.MaxQueuedRequests), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_MaxActiveSequences_FollowsKvBudget()
    {
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 3, MaxSequenceTokens = 64, MaxQueuedRequests = 5 });

        Assert.Equal(new EngineStatus(0, 0, 8, 5), engine.Status);
        Assert.Equal(393_216, engine.Budget.BytesPerSequence);
    }

    private static EngineOptions Invalid(string property) => property switch
    {
        nameof(EngineOptions.KvCacheMemoryMiB) => new EngineOptions { KvCacheMemoryMiB = 0 },
        nameof(EngineOptions.MaxQueuedRequests) => new EngineOptions { MaxQueuedRequests = 0 },
        nameof(EngineOptions.MaxBatchSize) => new EngineOptions { MaxBatchSize = 0 },
        nameof(EngineOptions.DefaultDeadline) => new EngineOptions { DefaultDeadline = TimeSpan.Zero },
        nameof(EngineOptions.PrefixCacheMiB) => new EngineOptions { PrefixCacheMiB = -1 },
        nameof(EngineOptions.MaxSequenceTokens) => new EngineOptions { MaxSequenceTokens = 1 },
        nameof(EngineOptions.ImageWorkers) => new EngineOptions { ImageWorkers = 0 },
        nameof(EngineOptions.PrefillWorkers) => new EngineOptions { PrefillWorkers = -1 },
        _ => throw new ArgumentOutOfRangeException(nameof(property)),
    };
}
