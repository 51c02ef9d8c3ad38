using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Fuzz.Inputs;
using Google.Protobuf;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// The malformed inputs, by area: REST bodies, images, prompts, generation parameters, gRPC fields, codec frames, the
/// ingest stream and codebook downloads. Each names the refusal it must get. The cloud under test runs with
/// <see cref="Settings"/> (smaller byte limits, so that the size limits are reached with small requests).
/// </summary>
internal static class BadInputCorpus
{
    public const int MaxImageBytes = 256 * 1024;
    public const int MaxFrameBytes = 64 * 1024;
    public const string WrongKey = "reliability-wrong-key-4be1a93f";

    /// <summary>Found by fuzzing: a JPEG frame header without tables, on which ImageSharp 2.1 throws NullReferenceException.</summary>
    private const string JpegWithoutTables =
        "ffd8ffc00011080edf000f03012200021101031101398eafeab12e355918d2411b9fe858b36eb36034f0b282fc50c5554b1291b141338a7d29b1d9658b02f2fe7aa2d72d341d4e932cf32a2626d33413ea0aa4b515dbed";

    public static IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Limits:MaxImageBytes"] = MaxImageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Limits:MaxFrameBytes"] = MaxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:Enabled"] = "false",
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
        ["Logging:LogLevel:Grpc"] = "Debug",
    };

    public static List<BadInput> Build(BadInputClients c, DemoFrames demo)
    {
        DemoItem item = demo.Items[0];
        byte[] png = item.Image;
        byte[] jpeg = Jpeg(png);
        string q = item.Question;
        string model = demo.ModelId;
        string codebook = demo.CodebookId;
        byte[] frame = item.Frame;
        var list = new List<BadInput>();

        void Rest(string name, string body, int status, string? code, string pattern) =>
            list.Add(new("rest_body", name, t => c.ChatAsync(body, t), new Expected($"http {status}", code, pattern)));
        void Image(string name, byte[] image, string mediaType, int status, string code, string pattern) =>
            list.Add(new("image", name, t => c.ChatAsync(LoadTest.ChatBody(image, q, mediaType), t), new Expected($"http {status}", code, pattern)));
        void Param(string name, Action<JsonObject> change, string code, string pattern) =>
            list.Add(new("generation_parameters", name, t => c.ChatAsync(LoadTest.ChatBody(png, q, extra: change), t), new Expected("http 400", code, pattern)));
        void Generate(string area, string name, Action<GenerateRequest> change, string status, string? code, string pattern) =>
            list.Add(new(area, name, t =>
            {
                var request = new GenerateRequest { ModelId = model, Prompt = q, Image = ByteString.CopyFrom(png) };
                change(request);
                return c.GenerateAsync(request, t);
            }, new Expected($"grpc {status}", code, pattern)));
        void CodecFrame(string name, byte[] bytes, string status, string pattern, string? codebookId = null) =>
            Generate("codec_frame", name, r => r.CodecFrame = new CodecFrame { CodebookId = codebookId ?? codebook, Data = ByteString.CopyFrom(bytes) },
                status, status == "InvalidArgument" ? "INVALID_FRAME" : status == "FailedPrecondition" ? "UNKNOWN_CODEBOOK" : null, pattern);
        void Ingest(string name, Action<Frame> change, string code, string pattern) =>
            list.Add(new("ingest", name, t =>
            {
                var f = new Frame
                {
                    FrameId = $"bad-{name}-{Guid.NewGuid():N}",
                    DeviceId = "bad-input-device",
                    ModelId = model,
                    CodebookId = codebook,
                    CodecFrame = ByteString.CopyFrom(frame),
                    Question = q,
                };
                change(f);
                return c.IngestAsync(f, t);
            }, new Expected($"ingest {code}", code, pattern)));

        // REST bodies.
        Rest("empty body", "", 400, "invalid_json", "empty|JSON");
        Rest("not json", "what shape is it?", 400, "invalid_json", "not valid JSON");
        Rest("json array", "[1,2,3]", 400, "invalid_json", "not valid JSON");
        Rest("truncated json", "{\"model\":\"shapes-vqa\",\"messages\":[{\"role\":\"user\",", 400, "invalid_json", "not valid JSON");
        Rest("no messages", "{\"model\":\"shapes-vqa\"}", 400, "missing_messages", "messages");
        Rest("empty messages", "{\"model\":\"shapes-vqa\",\"messages\":[]}", 400, "missing_messages", "at least one message");
        Rest("message without role", "{\"model\":\"shapes-vqa\",\"messages\":[{\"content\":\"hi\"}]}", 400, "missing_role", "role");
        Rest("content is a number", "{\"model\":\"shapes-vqa\",\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400, "invalid_content", "string or an array");
        Rest("text part without text", Body(new JsonObject { ["type"] = "text" }), 400, "invalid_content", "without a 'text'");
        Rest("image part without url", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject() }), 400, "invalid_image_url", "without a URL");
        Rest("unknown part type", Body(new JsonObject { ["type"] = "input_audio", ["input_audio"] = new JsonObject() }), 400, "unsupported_content_part", "only 'text' and 'image_url'");
        Rest("no image", "{\"model\":\"shapes-vqa\",\"messages\":[{\"role\":\"user\",\"content\":\"what shape is it?\"}]}", 400, "image_required", "exactly one image");
        Rest("two images", Body(Part(png), Part(png), Text(q)), 400, "too_many_images", "exactly one image");
        Rest("empty question", Body(Part(png), Text("   ")), 400, "empty_question", "no text|ask");
        Rest("unknown model", LoadTest.ChatBody(png, q).Replace("\"shapes-vqa\"", "\"no-such-model\"", StringComparison.Ordinal), 404, "model_not_found", "no-such-model");
        Rest("n = 3", With(png, q, b => b["n"] = 3), 400, "unsupported_n", "n = 3");
        Rest("stop is a number", With(png, q, b => b["stop"] = 7), 400, "invalid_stop", "string or an array");
        Rest("remote image url", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "http://127.0.0.1:9/cam.png" } }, Text(q)), 400, "remote_image_urls_disabled", "disabled");
        Rest("ftp image url", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "ftp://127.0.0.1/cam.png" } }, Text(q)), 400, "invalid_image_url", "data: URL");
        Rest("data url without comma", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64" } }, Text(q)), 400, "invalid_image_url", "','");
        Rest("data url not base64", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png,%89PNG" } }, Text(q)), 400, "invalid_image_url", "base64");
        Rest("data url bad base64", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64,!!!!" } }, Text(q)), 400, "invalid_image_url", "does not decode");
        Rest("data url of text", Body(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:text/plain;base64,aGVsbG8=" } }, Text(q)), 400, "unsupported_image_format", "not an image");
        list.Add(new("rest_body", "body over the size limit", t => c.ChatAsync(new byte[(MaxImageBytes * 2) + (2 << 20)], "application/json", t),
            new Expected("http 413", "request_too_large", "larger than")));
        list.Add(new("rest_body", "invalid UTF-8 in the model field", t => c.ChatAsync(Utf8Broken(LoadTest.ChatBody(png, q), "shapes-vqa"), "application/json", t),
            new Expected("http 400", "invalid_json", "UTF-8|not valid JSON")));
        list.Add(new("rest_body", "nesting 5000 deep", t => c.ChatAsync(new string('[', 5000) + new string(']', 5000), t),
            new Expected("http 400", "invalid_json", "depth|not valid JSON")));
        list.Add(new("rest_body", "no key", t => c.ChatAsync(LoadTest.ChatBody(png, q), t, key: null), new Expected("http 401", "missing_api_key", "key")));
        list.Add(new("rest_body", "wrong key", t => c.ChatAsync(LoadTest.ChatBody(png, q), t, key: WrongKey), new Expected("http 401", "invalid_api_key", "key")));
        list.Add(new("rest_body", "edge key on REST", t => c.ChatAsync(LoadTest.ChatBody(png, q), t, key: CloudService.EdgeKey), new Expected("http 403", "role_not_allowed", "role")));
        list.Add(new("rest_body", "unknown model by id", t => c.GetAsync("/v1/models/no-such-model", t), new Expected("http 404", "model_not_found", "no-such-model")));

        // Images.
        Image("truncated JPEG", jpeg[..(jpeg.Length / 3)], "image/jpeg", 400, "invalid_image", "cannot be decoded|read");
        Image("truncated PNG", png[..(png.Length / 2)], "image/png", 400, "invalid_image", "cannot be decoded|read");
        Image("PNG declaring 100000x100000", ImageHeaders.Png(100_000, 100_000, new byte[64]), "image/png", 413, "image_too_many_pixels", "100000x100000");
        Image("PNG declaring 0x0", ImageHeaders.Png(0, 0, new byte[64]), "image/png", 400, "invalid_image", "cannot be|0x0|read");
        Image("zero bytes", [], "image/png", 400, "invalid_image", "empty");
        Image("wrong magic", [.. "NOPE"u8.ToArray(), .. png[4..]], "image/png", 400, "unsupported_image_format", "not supported");
        Image("GIF", [.. "GIF89a"u8.ToArray(), 1, 0, 1, 0, 0, 0, 0, 0x3B], "image/gif", 400, "unsupported_image_format", "not supported");
        Image("BMP declaring 31148x15567763", ImageHeaders.Bmp(31148, 15_567_763, new byte[64]), "image/bmp", 400, "invalid_image", "cannot be|bigger|read");
        Image("JPEG frame header without tables", Convert.FromHexString(JpegWithoutTables), "image/jpeg", 400, "invalid_image", "cannot be|read");
        Image("WebP canvas without image data", ImageHeaders.WebP(16384, 16384, new byte[64]), "image/webp", 400, "invalid_image", "0x0|cannot be");
        Image("image over the byte limit", [.. png, .. new byte[MaxImageBytes]], "image/png", 413, "image_too_large", "limit");

        // Prompts.
        list.Add(new("prompt", "question of 100000 characters", t => c.ChatAsync(LoadTest.ChatBody(png, new string('a', 100_000)), t),
            new Expected("http 400", "prompt_too_long", "characters")));
        list.Add(new("prompt", "question of 300 words", t => c.ChatAsync(LoadTest.ChatBody(png, string.Join(' ', Enumerable.Repeat("square", 300))), t),
            new Expected("http 400", "prompt_too_long", "tokens")));
        list.Add(new("prompt", "invalid UTF-8 question", t => c.ChatAsync(Utf8Broken(LoadTest.ChatBody(png, "what shape is it?"), "what shape"), "application/json; charset=utf-8", t),
            new Expected("http 400", "invalid_json", "UTF-8|not valid JSON")));
        Generate("prompt", "gRPC question of 100000 characters", r => r.Prompt = new string('b', 100_000), "InvalidArgument", "LIMIT_EXCEEDED", "characters");
        Generate("prompt", "gRPC empty question", r => r.Prompt = "", "InvalidArgument", "INVALID_FRAME", "empty");
        list.Add(new("prompt", "gRPC question with invalid UTF-8", t => c.RawGrpcAsync("/edgecloudvlm.v1.Inference/Generate", GenerateMessage(model, [0xC3, 0x28, 0xFF, 0xFE], png), t),
            new Expected("grpc InvalidArgument", null, "UTF-8|utf8|message")));

        // Generation parameters (REST, then gRPC).
        Param("max_tokens -1", b => b["max_tokens"] = -1, "invalid_max_tokens", "max_tokens is -1");
        Param("max_tokens 0", b => b["max_tokens"] = 0, "invalid_max_tokens", "max_tokens is 0");
        Param("max_tokens 1000000", b => b["max_tokens"] = 1_000_000, "max_tokens_exceeded", "1000000");
        Param("max_completion_tokens 100000", b => b["max_completion_tokens"] = 100_000, "max_tokens_exceeded", "100000");
        Param("temperature -1", b => b["temperature"] = -1, "invalid_temperature", "temperature is -1");
        Param("temperature 50", b => b["temperature"] = 50, "invalid_temperature", "temperature is 50");
        Param("top_p 0", b => b["top_p"] = 0, "invalid_top_p", "top_p is 0");
        Param("top_p 1.5", b => b["top_p"] = 1.5, "invalid_top_p", "top_p is 1.5");
        Param("top_p -0.5", b => b["top_p"] = -0.5, "invalid_top_p", "top_p is -0.5");
        Param("five stop sequences", b => b["stop"] = new JsonArray("a", "b", "c", "d", "e"), "too_many_stop_sequences", "5 stop sequences");
        Param("empty stop sequence", b => b["stop"] = new JsonArray(""), "invalid_stop", "must not be empty");
        list.Add(new("generation_parameters", "temperature NaN (not JSON)", t => c.ChatAsync(LoadTest.ChatBody(png, q).TrimEnd('}') + ",\"temperature\":NaN}", t),
            new Expected("http 400", "invalid_json", "not valid JSON")));
        list.Add(new("generation_parameters", "max_tokens 1e400", t => c.ChatAsync(LoadTest.ChatBody(png, q).TrimEnd('}') + ",\"max_tokens\":1e400}", t),
            new Expected("http 400", "invalid_json", "not valid JSON")));
        Generate("generation_parameters", "gRPC temperature NaN", r => r.Parameters = new GenerationParameters { Temperature = float.NaN }, "InvalidArgument", "INVALID_FRAME", "temperature is NaN");
        Generate("generation_parameters", "gRPC temperature -infinity", r => r.Parameters = new GenerationParameters { Temperature = float.NegativeInfinity }, "InvalidArgument", "INVALID_FRAME", "temperature");
        Generate("generation_parameters", "gRPC temperature 3", r => r.Parameters = new GenerationParameters { Temperature = 3 }, "InvalidArgument", "INVALID_FRAME", "temperature is 3");
        Generate("generation_parameters", "gRPC top_p NaN", r => r.Parameters = new GenerationParameters { TopP = float.NaN }, "InvalidArgument", "INVALID_FRAME", "top_p is NaN");
        Generate("generation_parameters", "gRPC top_p 0", r => r.Parameters = new GenerationParameters { TopP = 0 }, "InvalidArgument", "INVALID_FRAME", "top_p is 0");
        Generate("generation_parameters", "gRPC max_tokens 4294967295", r => r.Parameters = new GenerationParameters { MaxTokens = uint.MaxValue }, "InvalidArgument", "LIMIT_EXCEEDED", "max_tokens");
        Generate("generation_parameters", "gRPC ten stop sequences", r => r.Parameters = new GenerationParameters { Stop = { Enumerable.Range(0, 10).Select(i => $"s{i}") } }, "InvalidArgument", "INVALID_FRAME", "10 stop sequences");

        // gRPC fields.
        Generate("grpc_fields", "unknown model", r => r.ModelId = "no-such-model", "NotFound", "UNKNOWN_MODEL", "no-such-model");
        Generate("grpc_fields", "model id of 10000 characters", r => r.ModelId = new string('m', 10_000), "NotFound", "UNKNOWN_MODEL", "does not exist");
        Generate("grpc_fields", "no image", r => r.ClearInput(), "InvalidArgument", "INVALID_FRAME", "exactly one image");
        Generate("grpc_fields", "image of random bytes", r => r.Image = ByteString.CopyFrom(Enumerable.Range(0, 300).Select(i => (byte)(i * 37)).ToArray()), "InvalidArgument", "INVALID_IMAGE", "not supported");
        Generate("grpc_fields", "PNG declaring 100000x100000", r => r.Image = ByteString.CopyFrom(ImageHeaders.Png(100_000, 100_000, new byte[64])), "InvalidArgument", "LIMIT_EXCEEDED", "pixels");
        list.Add(new("grpc_fields", "edge key on Generate", t => c.GenerateAsync(new GenerateRequest { ModelId = model, Prompt = q, Image = ByteString.CopyFrom(png) }, t, CloudService.EdgeKey),
            new Expected("grpc PermissionDenied", null, "role|not allowed|permission")));
        list.Add(new("grpc_fields", "wrong key on Generate", t => c.GenerateAsync(new GenerateRequest { ModelId = model, Prompt = q, Image = ByteString.CopyFrom(png) }, t, WrongKey),
            new Expected("grpc Unauthenticated", null, "key")));
        list.Add(new("grpc_fields", "message that is not protobuf", t => c.RawGrpcAsync("/edgecloudvlm.v1.Inference/Generate", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], t),
            new Expected("grpc InvalidArgument", null, "message|protobuf|parse")));
        list.Add(new("grpc_fields", "codebook id not hex (Fetch)", t => c.FetchCodebookAsync(new FetchCodebookRequest { Id = "not-a-hash" }, t),
            new Expected("grpc InvalidArgument", null, "64-digit hex")));
        list.Add(new("grpc_fields", "unknown codebook (Fetch)", t => c.FetchCodebookAsync(new FetchCodebookRequest { Id = new string('a', 64) }, t),
            new Expected("grpc NotFound", null, "not held")));
        list.Add(new("grpc_fields", "offset past the end (Fetch)", t => c.FetchCodebookAsync(new FetchCodebookRequest { Id = codebook, Offset = 1UL << 40 }, t),
            new Expected("grpc OutOfRange", null, "offset|beyond|past")));

        // Codec frames.
        CodecFrame("empty frame", [], "InvalidArgument", "Truncated");
        CodecFrame("wrong magic", [0x00, .. frame[1..]], "InvalidArgument", "BadMagic");
        CodecFrame("cut short", frame[..(frame.Length - 9)], "InvalidArgument", "Truncated");
        CodecFrame("checksum mismatch", Flip(frame, frame.Length / 2), "InvalidArgument", "ChecksumMismatch");
        CodecFrame("trailing bytes", [.. frame, 0x00], "InvalidArgument", "TrailingBytes");
        CodecFrame("version 2", Reseal(Set(frame, 2, 2)), "InvalidArgument", "UnsupportedVersion");
        CodecFrame("unknown kind", Reseal(Set(frame, 3, (byte)((frame[3] & 0xF0) | 0x0F))), "InvalidArgument", "UnknownKind");
        CodecFrame("shape of 3 tokens", Reseal(SetUInt16(frame, 12, 3)), "InvalidArgument", "ShapeMismatch");
        CodecFrame("payload of 0xFF", Reseal(FillPayload(frame, 0xFF)), "InvalidArgument", "CorruptPayload|IndexOutOfRange");
        CodecFrame("header tag of another codebook", Reseal(SetUInt16(frame, 4, 0xBEEF)), "InvalidArgument", "CodebookMismatch");
        CodecFrame("unknown codebook", frame, "FailedPrecondition", "not held", new string('0', 64));
        CodecFrame("codebook id not hex", frame, "InvalidArgument", "64-digit hex", "zzz");
        list.Add(new("codec_frame", "frame over the byte limit", t => c.GenerateAsync(new GenerateRequest
        {
            ModelId = model, Prompt = q, CodecFrame = new CodecFrame { CodebookId = codebook, Data = ByteString.CopyFrom(new byte[MaxFrameBytes + 1]) },
        }, t), new Expected("grpc InvalidArgument", "LIMIT_EXCEEDED", "limit")));

        // The ingest stream.
        list.Add(new("ingest", "first message is a frame", t => c.IngestSessionAsync(new EdgeMessage { Frame = new Frame { FrameId = "x" } }, t),
            new Expected("ingest INVALID_FRAME", "INVALID_FRAME", "must be Hello")));
        list.Add(new("ingest", "Hello without device id", t => c.IngestSessionAsync(new EdgeMessage { Hello = new Hello() }, t),
            new Expected("ingest INVALID_FRAME", "INVALID_FRAME", "device_id is required")));
        Ingest("frame without frame_id", f => f.FrameId = "", "INVALID_FRAME", "frame_id");
        Ingest("frame of another device", f => f.DeviceId = "someone-else", "PERMISSION_DENIED", "someone-else");
        Ingest("no payload", f => f.ClearPayload(), "INVALID_FRAME", "no payload");
        Ingest("checksum mismatch", f => f.CodecFrame = ByteString.CopyFrom(Flip(frame, frame.Length / 2)), "INVALID_FRAME", "ChecksumMismatch");
        Ingest("unknown codebook", f => f.CodebookId = new string('1', 64), "UNKNOWN_CODEBOOK", "not held");
        Ingest("unknown model", f => f.ModelId = "no-such-model", "UNKNOWN_MODEL", "no-such-model");
        Ingest("frame over the byte limit", f => f.CodecFrame = ByteString.CopyFrom(new byte[MaxFrameBytes + 1]), "LIMIT_EXCEEDED", "limit");
        Ingest("fallback JPEG truncated", f => f.FallbackJpeg = ByteString.CopyFrom(jpeg[..(jpeg.Length / 3)]), "INVALID_IMAGE", "cannot be decoded|read");
        Ingest("fallback PNG declaring 100000x100000", f => f.FallbackJpeg = ByteString.CopyFrom(ImageHeaders.Png(100_000, 100_000, new byte[64])), "LIMIT_EXCEEDED", "pixels");
        Ingest("question of 100000 characters", f => f.Question = new string('c', 100_000), "LIMIT_EXCEEDED", "characters");
        Ingest("temperature NaN", f => f.Parameters = new GenerationParameters { Temperature = float.NaN }, "INVALID_FRAME", "temperature is NaN");
        Ingest("top_p 7", f => f.Parameters = new GenerationParameters { TopP = 7 }, "INVALID_FRAME", "top_p is 7");
        Ingest("max_tokens 100000", f => f.Parameters = new GenerationParameters { MaxTokens = 100_000 }, "LIMIT_EXCEEDED", "max_tokens is 100000");
        return list;
    }

    /// <summary>Files that must be refused when found in the codebook folder, with what the refusal must say.</summary>
    public static IReadOnlyList<(string File, byte[] Bytes, string Pattern)> CodebookFiles(DemoFrames demo)
    {
        byte[] good = demo.Codebook.FileBytes.ToArray();
        byte[] tampered = (byte[])good.Clone();
        tampered[^20] ^= 0x40;
        return
        [
            ("empty.avqcb", [], "does not parse|empty"),
            ("random.avqcb", [.. Enumerable.Range(0, 512).Select(i => (byte)((i * 131) ^ 0x5A))], "does not parse|not a codebook"),
            ("truncated.avqcb", good[..(good.Length / 2)], "does not parse"),
            ("tampered.avqcb", tampered, "hash"),
            ("json.avqcb", Encoding.UTF8.GetBytes("{\"format\":\"edgecloudvlm.alignedvq.codebook\"}"), "does not parse|not a codebook"),
            ("nil.avqcb", [0xC0], "not a codebook|empty|does not parse"),
        ];
    }

    private static string Body(params JsonObject[] parts) => new JsonObject
    {
        ["model"] = "shapes-vqa",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonArray([.. parts]) }),
    }.ToJsonString();

    private static JsonObject Part(byte[] png) =>
        new() { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64," + Convert.ToBase64String(png) } };

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static string With(byte[] png, string question, Action<JsonObject> change) => LoadTest.ChatBody(png, question, extra: change);

    private static byte[] Jpeg(byte[] png)
    {
        using Image<Rgb24> image = SixLabors.ImageSharp.Image.Load<Rgb24>(png);
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 85 });
        return stream.ToArray();
    }

    /// <summary>The JSON with the first letters of <paramref name="text"/> replaced by bytes that are not UTF-8.</summary>
    private static byte[] Utf8Broken(string json, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        int at = json.IndexOf(text, StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        bytes[at + 2] = 0xFF;
        return bytes;
    }

    /// <summary>A GenerateRequest written by hand: model_id, a prompt of raw bytes, the image.</summary>
    private static byte[] GenerateMessage(string model, byte[] prompt, byte[] image)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(model);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(prompt));
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(image));
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Flip(byte[] frame, int at)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    private static byte[] Set(byte[] frame, int at, byte value)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[at] = value;
        return copy;
    }

    private static byte[] SetUInt16(byte[] frame, int at, ushort value)
    {
        byte[] copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    /// <summary>Overwrites the payload (between the header and the CRC) of a vector-quantized frame.</summary>
    private static byte[] FillPayload(byte[] frame, byte value)
    {
        byte[] copy = (byte[])frame.Clone();
        int header = 4 + 8 + 4 + 1;
        while ((copy[header - 1] & 0x80) != 0)
        {
            header++;
        }

        copy.AsSpan(header, copy.Length - header - 4).Fill(value);
        return copy;
    }

    private static byte[] Reseal(byte[] frame)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(frame.Length - 4), Crc32.HashToUInt32(frame.AsSpan(0, frame.Length - 4)));
        return frame;
    }
}
