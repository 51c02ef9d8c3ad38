using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests.Splitting;

/// <summary>Runs a whole model, or its head then its tail, in ONNX Runtime on float graph inputs.</summary>
internal static class SplitRunner
{
    public static InferenceSession Session(ModelProto model) => new(model.ToByteArray());

    /// <summary>Runs <paramref name="session"/> and returns the float output <paramref name="outputName"/>.</summary>
    public static (float[] Values, long[] Shape) RunWhole(
        InferenceSession session, IReadOnlyDictionary<string, (float[] Values, long[] Shape)> inputs, string outputName)
    {
        using var values = new DisposableList(inputs.Count);
        var names = new List<string>();
        foreach (string name in session.InputNames)
        {
            (float[] data, long[] shape) = inputs[name];
            names.Add(name);
            values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
        }

        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, names, values, [outputName]);
        return Read(outputs[0]);
    }

    /// <summary>
    /// Runs the head on the graph inputs it declares, then the tail on the head's outputs (passed as they are, any
    /// element type) and the graph inputs it declares; returns the tail's float output <paramref name="outputName"/>.
    /// </summary>
    public static (float[] Values, long[] Shape) RunSplit(
        InferenceSession head,
        InferenceSession tail,
        IReadOnlyDictionary<string, (float[] Values, long[] Shape)> inputs,
        string outputName)
    {
        using var headInputs = new DisposableList(head.InputNames.Count);
        foreach (string name in head.InputNames)
        {
            (float[] data, long[] shape) = inputs[name];
            headInputs.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
        }

        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> crossing = head.Run(runOptions, head.InputNames, headInputs, head.OutputNames);
        var byName = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        for (int i = 0; i < head.OutputNames.Count; i++)
        {
            byName[head.OutputNames[i]] = crossing[i];
        }

        using var ownedTailInputs = new DisposableList(tail.InputNames.Count);
        var tailInputs = new List<OrtValue>();
        foreach (string name in tail.InputNames)
        {
            if (byName.TryGetValue(name, out OrtValue? value))
            {
                tailInputs.Add(value);
            }
            else
            {
                (float[] data, long[] shape) = inputs[name];
                OrtValue created = OrtValue.CreateTensorValueFromMemory(data, shape);
                ownedTailInputs.Add(created);
                tailInputs.Add(created);
            }
        }

        using IDisposableReadOnlyCollection<OrtValue> outputs = tail.Run(runOptions, tail.InputNames, tailInputs, [outputName]);
        return Read(outputs[0]);
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            float difference = MathF.Abs(a[i] - b[i]);
            Assert.False(float.IsNaN(difference), $"element {i} is NaN");
            max = MathF.Max(max, difference);
        }

        return max;
    }

    private static (float[] Values, long[] Shape) Read(OrtValue value) =>
        (value.GetTensorDataAsSpan<float>().ToArray(), value.GetTensorTypeAndShape().Shape);

    private sealed class DisposableList(int capacity) : List<OrtValue>(capacity), IDisposable
    {
        public void Dispose()
        {
            foreach (OrtValue value in this)
            {
                value.Dispose();
            }
        }
    }
}
