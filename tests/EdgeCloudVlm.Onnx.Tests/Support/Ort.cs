using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests.Support;

/// <summary>Runs a single-input, single-output float model in ONNX Runtime.</summary>
internal static class Ort
{
    public static (float[] Values, long[] Shape) Run(ModelProto model, string inputName, float[] input, long[] shape, string outputName)
    {
        using var session = new InferenceSession(model.ToByteArray());
        return Run(session, inputName, input, shape, outputName);
    }

    public static (float[] Values, long[] Shape) Run(InferenceSession session, string inputName, float[] input, long[] shape, string outputName)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [value], [outputName]);
        OrtValue output = outputs[0];
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }

    public static float[] RandomInput(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return values;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
            {
                Assert.Fail($"Element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
            }
        }
    }
}
