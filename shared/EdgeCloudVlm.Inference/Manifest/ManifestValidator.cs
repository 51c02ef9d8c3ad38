namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>Checks that a parsed manifest is complete and that each part has the signature its role needs, so a
/// mis-shaped export fails at load time with the part named rather than deep inside a run.</summary>
internal static class ManifestValidator
{
    private static readonly string[] KnownDtypes =
        ["float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"];

    public static void Validate(ModelManifest m)
    {
        if (string.IsNullOrWhiteSpace(m.Name))
        {
            throw Fail("'name' is missing");
        }

        if (m.Image is null || m.Vision is null || m.LanguageModel is null || m.Tokenizer is null || m.Prompt is null
            || m.Generation is null || m.SpecialTokens is null || m.SpecialTokenRoles is null || m.Codebooks is null)
        {
            throw Fail("a section is missing (image, vision, language_model, tokenizer, special_tokens, special_token_roles, prompt, generation and codebooks are required)");
        }

        ValidateSections(m);
        foreach (string name in ModelPartNames.All)
        {
            if (!m.Parts.TryGetValue(name, out ModelPart? part))
            {
                throw new ModelLoadException($"part '{name}' is not listed in {ModelManifest.FileName}", name);
            }

            ValidateTensors(part);
        }

        ValidateVisionEdge(m, m.Parts[ModelPartNames.VisionEdge]);
        ValidateVisionCloud(m, m.Parts[ModelPartNames.VisionCloud]);
        ValidateEmbedTokens(m, m.Parts[ModelPartNames.EmbedTokens]);
        ValidateDecoder(m, m.Parts[ModelPartNames.Decoder]);
    }

    private static void ValidateSections(ModelManifest m)
    {
        ImageSpec img = m.Image;
        if (img.Size <= 0)
        {
            throw Fail("image.size must be positive");
        }

        if (img.Mean is null || img.Std is null || img.Mean.Count != 3 || img.Std.Count != 3)
        {
            throw Fail("image.mean and image.std need three values each");
        }

        foreach (float s in img.Std)
        {
            if (!(MathF.Abs(s) > 0f) || !float.IsFinite(s))
            {
                throw Fail("image.std values must be finite and non-zero");
            }
        }

        if (!string.Equals(img.Layout, "NCHW", StringComparison.OrdinalIgnoreCase))
        {
            throw Fail($"image.layout '{img.Layout}' is not supported (only NCHW)");
        }

        if (!string.Equals(img.ChannelOrder, "RGB", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(img.ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase))
        {
            throw Fail($"image.channel_order '{img.ChannelOrder}' is not supported (RGB or BGR)");
        }

        if (!(img.ValueScale > 0) || !double.IsFinite(img.ValueScale))
        {
            throw Fail("image.value_scale must be positive");
        }

        if (m.Vision.Tokens <= 0 || m.Vision.HiddenDim <= 0)
        {
            throw Fail("vision.tokens and vision.hidden_dim must be positive");
        }

        LanguageModelSpec lm = m.LanguageModel;
        if (lm.Layers <= 0 || lm.Heads <= 0 || lm.HeadDim <= 0 || lm.HiddenSize <= 0 || lm.VocabSize <= 0)
        {
            throw Fail("language_model.layers, heads, head_dim, hidden_size and vocab_size must be positive");
        }

        if (string.IsNullOrWhiteSpace(m.Tokenizer.File))
        {
            throw Fail("tokenizer.file is missing");
        }

        SpecialTokenRoles roles = m.SpecialTokenRoles;
        foreach ((string role, string token) in new[]
                 {
                     ("bos", roles.Bos), ("eos", roles.Eos), ("separator", roles.Separator), ("image", roles.Image),
                     ("pad", roles.Pad), ("unk", roles.Unk),
                 })
        {
            if (string.IsNullOrEmpty(token) || !m.SpecialTokens.ContainsKey(token))
            {
                throw Fail($"special_token_roles.{role} ('{token}') is not one of special_tokens");
            }
        }

        PromptSpec prompt = m.Prompt;
        if (string.IsNullOrEmpty(prompt.Template) || !prompt.Template.Contains("{question}", StringComparison.Ordinal))
        {
            throw Fail("prompt.template must contain {question}");
        }

        if (!m.SpecialTokens.ContainsKey(prompt.ImagePlaceholder ?? ""))
        {
            throw Fail($"prompt.image_placeholder '{prompt.ImagePlaceholder}' is not one of special_tokens");
        }

        if (prompt.ImagePlaceholderExpandsTo != m.Vision.Tokens)
        {
            throw Fail($"prompt.image_placeholder_expands_to is {prompt.ImagePlaceholderExpandsTo}, but vision.tokens is {m.Vision.Tokens}");
        }

        if (m.Generation.MaxTokens <= 0)
        {
            throw Fail("generation.max_tokens must be positive");
        }

        if (m.Generation.EosTokenId < 0 || m.Generation.EosTokenId >= lm.VocabSize)
        {
            throw Fail($"generation.eos_token_id {m.Generation.EosTokenId} is outside the vocabulary");
        }
    }

    private static void ValidateTensors(ModelPart part)
    {
        if (string.IsNullOrWhiteSpace(part.File))
        {
            throw new ModelLoadException($"part '{part.Name}' has no file", part.Name);
        }

        if (part.Inputs is null || part.Outputs is null || part.Inputs.Count == 0 || part.Outputs.Count == 0)
        {
            throw new ModelLoadException($"part '{part.Name}' must list its inputs and outputs", part.Name);
        }

        foreach ((string kind, IReadOnlyList<TensorSpec> list) in new[] { ("input", part.Inputs), ("output", part.Outputs) })
        {
            foreach (TensorSpec? t in list)
            {
                if (t is null || string.IsNullOrWhiteSpace(t.Name))
                {
                    throw new ModelLoadException($"part '{part.Name}' has an {kind} without a name", part.Name);
                }

                if (t.Shape is null)
                {
                    throw new ModelLoadException($"part '{part.Name}' {kind} '{t.Name}' has no shape", part.Name);
                }

                if (Array.IndexOf(KnownDtypes, t.Dtype) < 0)
                {
                    throw new ModelLoadException(
                        $"part '{part.Name}' {kind} '{t.Name}' has dtype '{t.Dtype}', expected one of {string.Join(", ", KnownDtypes)}",
                        part.Name);
                }
            }
        }
    }

    private static void ValidateVisionEdge(ModelManifest m, ModelPart part)
    {
        TensorSpec px = Expect(part, "input", part.Inputs[0], 4, "float32");
        ExpectDim(part, "input", px, 1, 3);
        ExpectDim(part, "input", px, 2, m.Image.Size);
        ExpectDim(part, "input", px, 3, m.Image.Size);
        TensorSpec hs = Expect(part, "output", part.Outputs[0], 3, "float32");
        ExpectDim(part, "output", hs, 1, m.Vision.Tokens);
        ExpectDim(part, "output", hs, 2, m.Vision.HiddenDim);
    }

    private static void ValidateVisionCloud(ModelManifest m, ModelPart part)
    {
        TensorSpec hs = Expect(part, "input", part.Inputs[0], 3, "float32");
        ExpectDim(part, "input", hs, 1, m.Vision.Tokens);
        ExpectDim(part, "input", hs, 2, m.Vision.HiddenDim);
        TensorSpec ie = Expect(part, "output", part.Outputs[0], 3, "float32");
        ExpectDim(part, "output", ie, 1, m.Vision.Tokens);
        ExpectDim(part, "output", ie, 2, m.LanguageModel.HiddenSize);
    }

    private static void ValidateEmbedTokens(ModelManifest m, ModelPart part)
    {
        Expect(part, "input", part.Inputs[0], 2, "int64");
        TensorSpec e = Expect(part, "output", part.Outputs[0], 3, "float32");
        ExpectDim(part, "output", e, 2, m.LanguageModel.HiddenSize);
    }

    private static void ValidateDecoder(ModelManifest m, ModelPart part)
    {
        LanguageModelSpec lm = m.LanguageModel;
        ExpectDim(part, "input", Expect(part, "input", Input(part, DecoderNames.InputsEmbeds), 3, "float32"), 2, lm.HiddenSize);
        Expect(part, "input", Input(part, DecoderNames.AttentionMask), 2, "int64");
        Expect(part, "input", Input(part, DecoderNames.PositionIds), 2, "int64");
        ExpectDim(part, "output", Expect(part, "output", Output(part, DecoderNames.Logits), 3, "float32"), 2, lm.VocabSize);
        for (int layer = 0; layer < lm.Layers; layer++)
        {
            foreach (bool key in new[] { true, false })
            {
                TensorSpec past = Expect(part, "input", Input(part, DecoderNames.Past(layer, key)), 4, "float32");
                TensorSpec present = Expect(part, "output", Output(part, DecoderNames.Present(layer, key)), 4, "float32");
                foreach ((string kind, TensorSpec t) in new[] { ("input", past), ("output", present) })
                {
                    ExpectDim(part, kind, t, 1, lm.Heads);
                    ExpectDim(part, kind, t, 3, lm.HeadDim);
                }
            }
        }
    }

    private static TensorSpec Input(ModelPart part, string name) => part.FindInput(name)
        ?? throw new ModelLoadException($"part '{part.Name}' has no input '{name}'", part.Name);

    private static TensorSpec Output(ModelPart part, string name) => part.FindOutput(name)
        ?? throw new ModelLoadException($"part '{part.Name}' has no output '{name}'", part.Name);

    private static TensorSpec Expect(ModelPart part, string kind, TensorSpec t, int rank, string dtype)
    {
        if (t.Rank != rank)
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{t.Name}' has rank {t.Rank}, expected {rank}", part.Name);
        }

        if (t.Dtype != dtype)
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{t.Name}' has dtype {t.Dtype}, expected {dtype}", part.Name);
        }

        return t;
    }

    private static void ExpectDim(ModelPart part, string kind, TensorSpec t, int axis, long expected)
    {
        TensorDim d = t.Shape[axis];
        if (d.Size is long size && size != expected)
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{t.Name}' has size {size} on axis {axis} {t.ShapeText}, expected {expected}",
                part.Name);
        }
    }

    private static ModelLoadException Fail(string message) => new($"{ModelManifest.FileName}: {message}");
}
