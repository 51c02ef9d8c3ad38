using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace EdgeCloudVlm.Contracts.Tests;

/// <summary>Fully populated sub-messages shared by the round-trip tests, so that nested fields are exercised too.</summary>
internal static class Samples
{
    public static GenerationParameters Parameters() => new()
    {
        MaxTokens = 64,
        Temperature = 0f, // explicit 0 (greedy) must survive as "set", unlike a plain proto3 scalar
        TopP = 0.9f,
        TopK = 40,
        Seed = 1234567890123UL,
        Stop = { "\n\n", "</s>" },
    };

    public static Usage Usage() => new() { PromptTokens = 17, CompletionTokens = 5, ImageTokens = 576 };

    public static Timings Timings() => new()
    {
        Queue = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(3)),
        Vision = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(41.5)),
        Prefill = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(120)),
        Decode = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(250)),
        Total = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(415)),
    };

    public static ErrorDetail Error() => new()
    {
        Code = ErrorCode.UnknownCodebook,
        Message = "codebook 3f2a... is not held by this server",
        Retryable = false,
        RetryAfter = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
    };

    public static Timestamp Time(int second) =>
        Timestamp.FromDateTime(new DateTime(2025, 1, 2, 3, 4, second, DateTimeKind.Utc));

    public static ByteString Bytes(int length, byte seed)
    {
        var data = new byte[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(seed + (i * 31));
        }

        return ByteString.CopyFrom(data);
    }

    public const string CodebookId = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
}
