using CsCheck;
using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Reliability.Tests.Support;

namespace EdgeCloudVlm.Reliability.Tests.Fuzz;

/// <summary>The image limit checks refuse what they must with <see cref="ImageRejectedException"/> and nothing else.</summary>
public sealed class ImageTargetTests(FuzzFixture fixture) : IClassFixture<FuzzFixture>
{
    [Fact]
    public void Run_GeneratedImages_RefusedOrWithinLimits()
    {
        var target = new ImageTarget(fixture.Subjects);

        fixture.Inputs.Images.Sample(input => target.Run(input), iter: 10_000, threads: 1);
    }

    [Fact]
    public void Run_EverySeed_Accepted()
    {
        var target = new ImageTarget(fixture.Subjects);

        Assert.All(SeedCorpus.Images(fixture.Subjects), seed => Assert.Equal(FuzzOutcome.Accepted, target.Run(seed)));
    }

    [Theory]
    [InlineData(100_000, 100_000)]
    [InlineData(2001, 2000)]
    public void Identify_PngDeclaringMorePixelsThanTheLimit_TooLarge(int width, int height)
    {
        byte[] png = ImageHeaders.Png(width, height, new byte[16]);

        ImageRejectedException refused = Assert.Throws<ImageRejectedException>(() => fixture.Subjects.Preprocessor.Identify(png));

        Assert.Equal(ImageRejectionReason.TooLarge, refused.Reason);
    }

    [Theory]
    [InlineData(31148, 15_567_763)]
    [InlineData(-1151, 177_391_094)]
    public void Identify_BmpDeclaringHugeDimensions_Rejected(int width, int height)
    {
        byte[] bmp = ImageHeaders.Bmp(width, height, new byte[16]);

        Assert.Throws<ImageRejectedException>(() => fixture.Subjects.Preprocessor.Identify(bmp));
    }

    [Fact]
    public void Preprocess_JpegFrameHeaderWithoutTables_Rejected()
    {
        // Found by the fuzzer: ImageSharp 2.1 throws NullReferenceException on it.
        byte[] jpeg = Convert.FromHexString("ffd8ffc00011080edf000f03012200021101031101398eafeab12e355918d2411b9fe858b36eb36034f0b282fc50c5554b1291b141338a7d29b1d9658b02f2fe7aa2d72d341d4e932cf32a2626d33413ea0aa4b515dbed");

        var pixels = new float[fixture.Subjects.Preprocessor.TensorLength];

        Assert.Throws<ImageRejectedException>(() => fixture.Subjects.Preprocessor.Preprocess(jpeg, pixels));
    }
}
