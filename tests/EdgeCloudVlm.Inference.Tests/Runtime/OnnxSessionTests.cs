using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using EdgeCloudVlm.Inference.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Tests.Runtime;

public sealed class OnnxSessionTests
{
    private static string EdgePath => Path.Combine(ModelFolder.Path, "vision_edge.onnx");

    [Fact]
    public void Create_AutoWithoutCuda_FallsBackToCpuWithOneWarning()
    {
        var log = new ListLogger();

        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Auto }, log);

        Assert.Equal(ExecutionProvider.Cpu, session.ActiveProvider);
        var entry = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("CUDA execution provider unavailable", entry.Message, StringComparison.Ordinal);
        Assert.Contains("CPU", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_Cpu_LogsNothing()
    {
        var log = new ListLogger();

        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Cpu }, log);

        Assert.Equal(ExecutionProvider.Cpu, session.ActiveProvider);
        Assert.Empty(log.Entries);
        Assert.Equal(["pixel_values"], session.InputNames);
        Assert.Equal(["hidden_state"], session.OutputNames);
    }

    [Theory]
    [InlineData(ExecutionProvider.Cuda, "CUDA")]
    [InlineData(ExecutionProvider.TensorRt, "TensorRT")]
    public void Create_ExplicitGpuWithoutIt_ThrowsClearError(ExecutionProvider provider, string name)
    {
        var ex = Assert.Throws<ExecutionProviderUnavailableException>(
            () => OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = provider }));

        Assert.Equal(provider, ex.Provider);
        Assert.Contains($"The {name} execution provider was requested but cannot be loaded", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void Create_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxSession.Create(Path.Combine(ModelFolder.Path, "nope.onnx")));
    }

    [Fact]
    public void Create_NegativeThreads_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => OnnxSession.Create(EdgePath, new OnnxSessionOptions { IntraOpThreads = -1 }));
    }

    [Theory]
    [InlineData(GraphOptimization.Disabled)]
    [InlineData(GraphOptimization.All)]
    public void Run_OutputsBoundToCallerMemory_AreWritten(GraphOptimization level)
    {
        ModelManifest m = ModelManifest.Load(ModelFolder.Path);
        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions
        {
            Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, InterOpThreads = 1, Optimization = level,
        });
        var pixels = new float[3 * 96 * 96];
        var hidden = new float[m.Vision.Tokens * m.Vision.HiddenDim];
        Array.Fill(hidden, float.NaN);

        using (OrtValue input = OrtTensors.Create<float>(pixels, 1, 3, 96, 96))
        using (OrtValue output = OrtTensors.Create<float>(hidden, 1, m.Vision.Tokens, m.Vision.HiddenDim))
        {
            session.Run(["pixel_values"], [input], ["hidden_state"], [output]);
        }

        Assert.All(hidden, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(hidden, v => v != 0f);
    }

    [Fact]
    public void Run_ReturnedOutputs_ReadAsSpans()
    {
        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });
        var pixels = new float[2 * 3 * 96 * 96];

        using OrtValue input = OrtTensors.Create<float>(pixels, 2, 3, 96, 96);
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(["pixel_values"], [input], ["hidden_state"]);

        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();
        int perImage = hidden.Length / 2;
        Assert.True(hidden[..perImage].SequenceEqual(hidden[perImage..]), "identical images must give identical rows");
    }

    [Fact]
    public void Run_CancelledToken_ThrowsOperationCanceled()
    {
        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });
        var pixels = new float[3 * 96 * 96];
        using OrtValue input = OrtTensors.Create<float>(pixels, 1, 3, 96, 96);

        Assert.Throws<OperationCanceledException>(
            () => session.Run(["pixel_values"], [input], ["hidden_state"], new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Run_CancellableTokenRepeatedly_ReusesRunOptions()
    {
        using OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });
        var pixels = new float[3 * 96 * 96];
        using OrtValue input = OrtTensors.Create<float>(pixels, 1, 3, 96, 96);
        using var cts = new CancellationTokenSource();
        float[][] results = new float[3][];

        for (int i = 0; i < results.Length; i++)
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(["pixel_values"], [input], ["hidden_state"], cts.Token);
            results[i] = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Fact]
    public void Run_AfterDispose_Throws()
    {
        OnnxSession session = OnnxSession.Create(EdgePath, new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run(["pixel_values"], [], ["hidden_state"]));
    }

    [Fact]
    public void Create_BufferShapeMismatch_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => OrtTensors.Create<float>(new float[10], 2, 3));

        Assert.Contains("shape [2, 3] needs 6", ex.Message, StringComparison.Ordinal);
    }
}
