using System.Runtime.InteropServices;
using System.Text.Json;

namespace EdgeCloudVlm.Inference.Tests.Support;

/// <summary>The training script's reference tensors (golden/golden.json plus raw little-endian files).</summary>
internal sealed class Golden
{
    private static readonly Lazy<Golden> Instance = new(() => Load(ModelFolder.Path));

    private Golden(string folder, IReadOnlyList<GoldenSample> samples)
    {
        Folder = folder;
        Samples = samples;
    }

    public static Golden Demo => Instance.Value;

    public string Folder { get; }

    public IReadOnlyList<GoldenSample> Samples { get; }

    /// <summary>Sample indices for [Theory] data.</summary>
    public static TheoryData<int> SampleIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Demo.Samples.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static Golden Load(string folder)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(folder, "golden", "golden.json")));
        var samples = new List<GoldenSample>();
        foreach (JsonElement s in doc.RootElement.GetProperty("samples").EnumerateArray())
        {
            var tensors = new Dictionary<string, GoldenTensorRef>();
            foreach (JsonProperty t in s.GetProperty("tensors").EnumerateObject())
            {
                long[] shape = t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                tensors[t.Name] = new GoldenTensorRef(
                    System.IO.Path.Combine(folder, t.Value.GetProperty("file").GetString()!),
                    t.Value.GetProperty("dtype").GetString()!,
                    shape);
            }

            samples.Add(new GoldenSample(
                s.GetProperty("image").GetString()!,
                s.GetProperty("question").GetString()!,
                s.GetProperty("template").GetString()!,
                s.GetProperty("expected_answer").GetString()!,
                s.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                s.GetProperty("image_token_index").GetInt32(),
                s.GetProperty("first_generated_id").GetInt32(),
                s.GetProperty("answer_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                s.GetProperty("answer_text").GetString()!,
                tensors));
        }

        return new Golden(folder, samples);
    }
}

internal sealed record GoldenTensorRef(string File, string Dtype, long[] Shape)
{
    public float[] Floats()
    {
        Assert.Equal("float32", Dtype);
        return MemoryMarshal.Cast<byte, float>(System.IO.File.ReadAllBytes(File)).ToArray();
    }

    public long[] Longs()
    {
        Assert.Equal("int64", Dtype);
        return MemoryMarshal.Cast<byte, long>(System.IO.File.ReadAllBytes(File)).ToArray();
    }
}

internal sealed record GoldenSample(
    string Image,
    string Question,
    string Template,
    string ExpectedAnswer,
    int[] PromptIds,
    int ImageTokenIndex,
    int FirstGeneratedId,
    int[] AnswerIds,
    string AnswerText,
    IReadOnlyDictionary<string, GoldenTensorRef> Tensors)
{
    public GoldenTensorRef this[string name] => Tensors[name];

    public string ImagePath => System.IO.Path.Combine(ModelFolder.Path, Image);
}
