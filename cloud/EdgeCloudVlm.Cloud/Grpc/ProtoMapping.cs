using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Inference.Generation;
using Google.Protobuf.WellKnownTypes;
using ProtoFinishReason = EdgeCloudVlm.Contracts.V1.FinishReason;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>Conversions between the proto messages and the service's own types.</summary>
internal static class ProtoMapping
{
    public static GenerationSettings ToSettings(GenerationParameters? parameters, ParamNames names)
    {
        if (parameters is null)
        {
            return new GenerationSettings { Names = names };
        }

        return new GenerationSettings
        {
            // 0 means "server default" in the proto.
            MaxTokens = parameters.HasMaxTokens && parameters.MaxTokens > 0 ? (int)Math.Min(parameters.MaxTokens, int.MaxValue) : null,
            Temperature = parameters.HasTemperature ? parameters.Temperature : null,
            TopP = parameters.HasTopP ? parameters.TopP : null,
            TopK = parameters.HasTopK ? (int)Math.Min(parameters.TopK, int.MaxValue) : null,
            Seed = parameters.HasSeed ? unchecked((long)parameters.Seed) : null,
            Stop = [.. parameters.Stop],
            Names = names,
        };
    }

    public static ProtoFinishReason ToProto(Inference.Generation.FinishReason reason) => reason switch
    {
        Inference.Generation.FinishReason.Stop => ProtoFinishReason.Stop,
        Inference.Generation.FinishReason.Length => ProtoFinishReason.Length,
        _ => ProtoFinishReason.Unspecified,
    };

    /// <summary>Usage as the proto counts it: text tokens of the templated prompt, image positions apart.</summary>
    public static Usage ToUsage(GenerationResult result) => new()
    {
        PromptTokens = (uint)Math.Max(0, result.PromptTokens - result.ImageTokens),
        CompletionTokens = (uint)result.CompletionTokens,
        ImageTokens = (uint)result.ImageTokens,
    };

    /// <param name="result">The engine's result.</param>
    /// <param name="dequantize">Time spent decoding the codec frame before the engine ran (zero for images).</param>
    /// <param name="total">Wall time from arrival to the final event.</param>
    public static Timings ToTimings(GenerationResult result, TimeSpan dequantize, TimeSpan total)
    {
        GenerationTimings t = result.Timings;
        TimeSpan vision = dequantize + t.Vision;
        TimeSpan busy = vision + t.Prefill + t.Decode;
        var timings = new Timings
        {
            Vision = Duration.FromTimeSpan(vision),
            Prefill = Duration.FromTimeSpan(t.Prefill),
            Decode = Duration.FromTimeSpan(t.Decode),
            Total = Duration.FromTimeSpan(total > busy ? total : busy),
        };

        // The rest of the wall time is waiting: the admission queue and, under continuous batching, steps shared with
        // other sequences.
        if (total > busy)
        {
            timings.Queue = Duration.FromTimeSpan(total - busy);
        }

        return timings;
    }
}
