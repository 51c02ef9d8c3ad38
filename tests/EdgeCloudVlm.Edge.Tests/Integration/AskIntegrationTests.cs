using System.Text.Json;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Tests.Support;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Runtime;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Edge.Tests.Integration;

/// <summary><c>ecv-edge ask</c> against the real cloud on loopback.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class AskIntegrationTests(CloudFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Ask_EvalImages_AnswersWhatTheModelAnswersForTheTransmittedFrame()
    {
        IReadOnlyList<EvalQuestion> eval = Repo.EvalQuestions();
        EvalQuestion[] items = [.. Enumerable.Range(0, 8).Select(i => eval[(i * 37) % eval.Count])];
        using VlmModel model = VlmModel.Load(RepositoryLayout.DemoModel, new VlmModelOptions { Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 } });
        var pipeline = new VlmPipeline(model);
        using var demo = new DemoEncoder();
        int agreesWithUncompressed = 0;

        foreach (EvalQuestion item in items)
        {
            (int code, string stdout, string stderr) = await CliRunner.RunAsync(
                ["ask", item.ImagePath, item.Question, "--json", .. CliRunner.Sets(Settings())]);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            using JsonDocument json = JsonDocument.Parse(stdout);
            JsonElement root = json.RootElement;
            string answer = root.GetProperty("answer").GetString()!;

            // What the model answers for exactly the tensor the frame carries (the cloud's job), and for the image
            // without compression.
            Frame frame = demo.Encoder.Encode(DemoEncoder.Request(File.ReadAllBytes(item.ImagePath), question: item.Question), CancellationToken.None).Frame!;
            string fromFrame = pipeline.Generate(VlmRequest.FromHiddenState(Decode(frame, demo), item.Question)).Text;
            string uncompressed = pipeline.Generate(VlmRequest.FromEncodedImage(File.ReadAllBytes(item.ImagePath), item.Question)).Text;
            output.WriteLine($"{Path.GetFileName(item.ImagePath)} '{item.Question}': ask '{answer}', frame '{fromFrame}', uncompressed '{uncompressed}', label '{item.Answer}'; " +
                $"{root.GetProperty("bytes_on_wire").GetInt64()} B on the wire vs JPEG {root.GetProperty("jpeg_bytes").GetInt64()} B; edge ms {root.GetProperty("edge_ms")}");

            Assert.Equal(fromFrame, answer);
            Assert.Equal("codec", root.GetProperty("payload").GetString());
            Assert.Equal(frame.CodecFrame.Length, root.GetProperty("bytes_on_wire").GetInt64());
            Assert.Equal((long)frame.Fp16EquivalentBytes, root.GetProperty("fp16_equivalent_bytes").GetInt64());
            if (answer == uncompressed)
            {
                agreesWithUncompressed++;
            }
        }

        // Compression may flip a rare answer; it must not change most of them.
        Assert.True(agreesWithUncompressed >= items.Length - 2, $"{agreesWithUncompressed} of {items.Length} answers match the uncompressed pipeline");
    }

    [Fact]
    public async Task Ask_TextOutput_PrintsAnswerBytesJpegSizeAndLatency()
    {
        EvalQuestion item = Repo.EvalQuestions()[0];

        (int code, string stdout, string stderr) = await CliRunner.RunAsync(["ask", item.ImagePath, item.Question, .. CliRunner.Sets(Settings())]);

        Assert.True(code == 0, stderr);
        output.WriteLine(stdout);
        Assert.StartsWith("answer: ", stdout, StringComparison.Ordinal);
        Assert.Contains("bytes on the wire: ", stdout, StringComparison.Ordinal);
        Assert.Contains("JPEG of the image: ", stdout, StringComparison.Ordinal);
        Assert.Contains("latency: ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_WrongApiKey_ReportsTheAuthenticationFailureClearly()
    {
        EvalQuestion item = Repo.EvalQuestions()[0];
        Dictionary<string, string?> settings = Settings();
        settings["Edge:Uplink:ApiKey"] = "not-a-valid-key";

        (int code, string stdout, string stderr) = await CliRunner.RunAsync(["ask", item.ImagePath, item.Question, .. CliRunner.Sets(settings)]);

        output.WriteLine(stderr);
        Assert.True(code == 5, $"exit {code}: {stderr}");
        Assert.Empty(stdout);
        Assert.Contains("authentication failed", stderr, StringComparison.Ordinal);
        Assert.Contains("Edge:Uplink:ApiKey", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_NoApiKey_ReportsTheAuthenticationFailureClearly()
    {
        EvalQuestion item = Repo.EvalQuestions()[0];
        Dictionary<string, string?> settings = Settings();
        settings.Remove("Edge:Uplink:ApiKey");

        (int code, _, string stderr) = await CliRunner.RunAsync(["ask", item.ImagePath, item.Question, .. CliRunner.Sets(settings)]);

        Assert.True(code == 5, $"exit {code}: {stderr}");
        Assert.Contains("authentication failed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CodebookPull_FromTheCloud_SavedAndVerifiedAndAnUnknownIdIsNotFound()
    {
        (int code, string stdout, string stderr) = await CliRunner.RunAsync(["codebook", "pull", .. CliRunner.Sets(Settings())]);

        Assert.True(code == 0, stderr);
        string saved = Assert.Single(Directory.GetFiles(Path.Combine(_temp.Path, "codebooks"), "*.avqcb"));
        Codebook codebook = CodebookFile.Load(saved);
        Assert.Equal(Path.GetFileNameWithoutExtension(saved), codebook.Id.ToString());
        Assert.Contains("content hash verified", stdout, StringComparison.Ordinal);

        (int unknown, _, string error) = await CliRunner.RunAsync(["codebook", "pull", "--id", new string('9', 64), .. CliRunner.Sets(Settings())]);
        Assert.True(unknown == 2, $"exit {unknown}: {error}");
        Assert.Contains("not held", error, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings() => EdgeHost.Settings(_temp.Path, fixture.Cloud.GrpcAddress);

    private static float[] Decode(Frame frame, DemoEncoder demo)
    {
        var codec = new AlignedVqCodec(CodebookFile.Load(Repo.DemoCodebook.Path));
        var hidden = new float[demo.Head.Tokens * demo.Head.HiddenDim];
        Assert.Equal(Codec.Frames.FrameStatus.Ok, codec.Decode(frame.CodecFrame.Span, hidden, out _));
        return hidden;
    }
}
