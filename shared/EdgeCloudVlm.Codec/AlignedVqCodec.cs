using System.Buffers;
using System.Numerics.Tensors;
using EdgeCloudVlm.Codec.Alignment;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Coding;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Codec.Numerics;
using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec;

/// <summary>
/// AlignedVQ (DESIGN §2): per-token mean/RMS normalization, optional centering and PCA projection, grouped residual
/// vector quantization (optionally under a per-token error bound, so that tokens stop using stages once close enough),
/// and bit-packed or rANS-coded symbols in a checksummed frame. With a codebook trained without
/// normalization the same class is the plain-VQ baseline. Thread-safe; scratch comes from the shared array pool.
/// </summary>
public sealed class AlignedVqCodec : IFeatureCodec
{
    private readonly Codebook _codebook;
    private readonly AlignedVqCodecOptions _options;
    private readonly FrequencyTable[] _tables;

    // What rANS cycles through, one table per symbol: the column tables, or with position tables one run of columns
    // per token position (such a codebook only takes frames of exactly its own token count).
    private readonly FrequencyTable[] _codingTables;
    private readonly int _statisticColumns;
    private readonly int _columns;

    /// <summary>Creates a codec bound to one codebook.</summary>
    public AlignedVqCodec(Codebook codebook, AlignedVqCodecOptions? options = null)
    {
        _codebook = codebook ?? throw new ArgumentNullException(nameof(codebook));
        _options = options ?? new AlignedVqCodecOptions();
        _statisticColumns = codebook.NormalizesTokens ? 2 : 0;
        _columns = _statisticColumns + (codebook.Groups * codebook.Stages);
        _tables = new FrequencyTable[_columns];
        if (codebook.NormalizesTokens)
        {
            _tables[0] = codebook.MeanTable!;
            _tables[1] = codebook.RmsTable!;
        }

        codebook.IndexTables.CopyTo(_tables, _statisticColumns);
        _codingTables = codebook.PositionIndexTables is { } byPosition ? PerPositionTables(byPosition) : _tables;
    }

    /// <inheritdoc />
    public string Name => _codebook.NormalizesTokens ? "aligned-vq" : "plain-vq";

    /// <summary>The codebook frames are made with.</summary>
    public Codebook Codebook => _codebook;

    /// <inheritdoc />
    public int GetMaxFrameLength(int tokens, int dimension)
    {
        var payload = Math.Max(PackedPayloadLength(tokens), RansCoder.MaxEncodedLength(tokens * _columns, _codingTables));
        return FrameFormat.FrameLength(FrameKind.VectorQuantized, payload);
    }

    /// <inheritdoc />
    public int Encode(ReadOnlySpan<float> features, int tokens, int dimension, Span<byte> destination)
    {
        if (dimension != _codebook.Dimension)
        {
            throw new ArgumentException($"The codebook is for dimension {_codebook.Dimension}, the tensor has {dimension}.", nameof(dimension));
        }

        if (tokens is < 1 or > FrameFormat.MaxExtent || features.Length != (long)tokens * dimension)
        {
            throw new ArgumentException($"Expected {tokens} x {dimension} values (1..{FrameFormat.MaxExtent} tokens), got {features.Length}.", nameof(features));
        }

        if (_codebook.Positions > 0 && tokens != _codebook.Positions)
        {
            throw new ArgumentException($"The codebook's position bias is for {_codebook.Positions} tokens, the tensor has {tokens}.", nameof(tokens));
        }

        var symbols = ArrayPool<int>.Shared.Rent(tokens * _columns);
        try
        {
            var tokenMajor = symbols.AsSpan(0, tokens * _columns);
            ComputeSymbols(features, tokens, tokenMajor);
            return EncodeSymbols(tokenMajor, tokens, dimension, destination);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>Writes a frame from already computed token-major symbols (statistics first, then group-major stage indices).</summary>
    internal int EncodeSymbols(ReadOnlySpan<int> tokenMajor, int tokens, int dimension, Span<byte> destination)
    {
        var payload = ArrayPool<byte>.Shared.Rent(Math.Max(PackedPayloadLength(tokens), RansCoder.MaxEncodedLength(tokens * _columns, _codingTables)));
        try
        {
            var flags = _codebook.NormalizesTokens ? FrameFlags.TokenStatistics : FrameFlags.None;
            var payloadLength = PackedPayloadLength(tokens);
            if (_options.EntropyCoding
                && RansCoder.Encode(tokenMajor, _codingTables, payload, out var codedLength) == OperationStatus.Done
                && codedLength < payloadLength)
            {
                // rANS carries a fixed state flush, so on very small frames packing can be smaller: keep whichever is.
                flags |= FrameFlags.EntropyCoded;
                payloadLength = codedLength;
            }
            else
            {
                PackColumns(tokenMajor, tokens, payload);
            }

            var required = FrameFormat.FrameLength(FrameKind.VectorQuantized, payloadLength);
            if (destination.Length < required)
            {
                throw new ArgumentException($"The frame needs {required} bytes, the destination holds {destination.Length}.", nameof(destination));
            }

            var offset = FrameFormat.WriteHeader(destination, FrameKind.VectorQuantized, flags, _codebook.Id.Tag, tokens, dimension, payloadLength);
            payload.AsSpan(0, payloadLength).CopyTo(destination[offset..]);
            return FrameFormat.Seal(destination, offset + payloadLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <inheritdoc />
    public FrameStatus Decode(ReadOnlySpan<byte> frame, Span<float> features, out FrameHeader header)
    {
        var status = FrameFormat.TryReadHeader(frame, out header);
        if (status != FrameStatus.Ok)
        {
            return status;
        }

        if (header.Kind != FrameKind.VectorQuantized || header.CodebookTag != _codebook.Id.Tag)
        {
            return FrameStatus.CodebookMismatch;
        }

        if (((header.Flags & FrameFlags.TokenStatistics) != 0) != _codebook.NormalizesTokens)
        {
            return FrameStatus.CodebookMismatch;
        }

        if (header.Dimension != _codebook.Dimension || (_codebook.Positions > 0 && header.Tokens != _codebook.Positions))
        {
            return FrameStatus.ShapeMismatch;
        }

        var tokens = header.Tokens;
        if (features.Length < (long)tokens * header.Dimension)
        {
            return FrameStatus.DestinationTooSmall;
        }

        var payload = frame.Slice(header.PayloadOffset, header.PayloadLength);
        var symbols = ArrayPool<int>.Shared.Rent(tokens * _columns);
        try
        {
            var tokenMajor = symbols.AsSpan(0, tokens * _columns);
            if ((header.Flags & FrameFlags.EntropyCoded) != 0)
            {
                if (RansCoder.Decode(payload, _codingTables, tokenMajor) != OperationStatus.Done)
                {
                    return FrameStatus.CorruptPayload;
                }
            }
            else
            {
                status = UnpackColumns(payload, tokens, tokenMajor);
                if (status != FrameStatus.Ok)
                {
                    return status;
                }
            }

            Reconstruct(tokenMajor, tokens, features[..(tokens * header.Dimension)]);
            return FrameStatus.Ok;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>Encode then decode in memory: what the cloud will see for these features (used by training and evaluation).
    /// With a position bias, <paramref name="tokens"/> may span several frames one after another.</summary>
    public void RoundTrip(ReadOnlySpan<float> features, int tokens, Span<float> reconstruction)
    {
        if (_codebook.Positions > 0 && tokens % _codebook.Positions != 0)
        {
            throw new ArgumentException($"The codebook's position bias is for frames of {_codebook.Positions} tokens; {tokens} is not a whole number of frames.", nameof(tokens));
        }

        var symbols = ArrayPool<int>.Shared.Rent(tokens * _columns);
        try
        {
            var span = symbols.AsSpan(0, tokens * _columns);
            ComputeSymbols(features, tokens, span);
            Reconstruct(span, tokens, reconstruction);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>Alignment, projection and quantization: fills token-major symbols (statistics first, then group-major stage
    /// indices). <paramref name="firstToken"/> is the index of the first row in its stream of frames (for the position bias).</summary>
    internal void ComputeSymbols(ReadOnlySpan<float> features, int tokens, Span<int> symbols, int firstToken = 0)
    {
        var dimension = _codebook.Dimension;
        var quantizedDimension = _codebook.QuantizedDimension;
        var aligned = ArrayPool<float>.Shared.Rent(tokens * dimension);
        var projected = _codebook.ProjectionTransposed is null ? null : ArrayPool<float>.Shared.Rent(tokens * quantizedDimension);
        var group = ArrayPool<float>.Shared.Rent(Math.Max(tokens * MaxGroupWidth(), dimension));
        var indices = ArrayPool<int>.Shared.Rent(tokens);
        var distances = !_codebook.HasErrorBound ? null : ArrayPool<float>.Shared.Rent(tokens);
        var stopped = !_codebook.HasErrorBound ? null : ArrayPool<bool>.Shared.Rent(tokens);

        // Pooled arrays come back dirty, possibly with NaN from a hostile frame; blocked kernels may read past the
        // rows they write, and NaN times a zero centroid lane is still NaN, so start from zeros.
        Array.Clear(aligned);
        if (projected is not null)
        {
            Array.Clear(projected);
        }

        Array.Clear(group);
        try
        {
            Align(features, tokens, aligned, symbols, group.AsSpan(0, dimension), firstToken);
            var vectors = aligned.AsSpan(0, tokens * dimension);
            if (projected is not null)
            {
                var components = _codebook.Document.Projection!.Components;
                MatrixMultiply.MultiplyTransposed(vectors, tokens, components, quantizedDimension, dimension, projected, _options.MaxDegreeOfParallelism);
                vectors = projected.AsSpan(0, tokens * quantizedDimension);
            }

            var order = _codebook.Document.Quantizer.DimensionOrder;
            for (var g = 0; g < _codebook.Groups; g++)
            {
                var start = _codebook.GroupOffsets[g];
                var width = _codebook.GroupOffsets[g + 1] - start;
                var groupVectors = group.AsSpan(0, tokens * width);
                for (var t = 0; t < tokens; t++)
                {
                    var source = vectors.Slice(t * quantizedDimension, quantizedDimension);
                    var target = groupVectors.Slice(t * width, width);
                    for (var j = 0; j < width; j++)
                    {
                        target[j] = source[order[start + j]];
                    }
                }

                stopped?.AsSpan(0, tokens).Clear();
                for (var s = 0; s < _codebook.Stages; s++)
                {
                    var stage = (g * _codebook.Stages) + s;
                    var centroids = _codebook.Centroids[stage];
                    var stageIndices = indices.AsSpan(0, tokens);
                    var stageDistances = distances is null ? default : distances.AsSpan(0, tokens);
                    NearestCentroid.Assign(groupVectors, centroids, stageIndices, stageDistances, _options.MaxDegreeOfParallelism);
                    var column = _statisticColumns + stage;
                    for (var t = 0; t < tokens; t++)
                    {
                        var residual = groupVectors.Slice(t * width, width);
                        var symbol = stageIndices[t];
                        if (stopped is not null)
                        {
                            // Under an error bound a token stops, and sends the skip symbol (no centroid) for this and
                            // every later stage, once it is within the stage's bound or no centroid would bring it
                            // closer. Stopping for good keeps a later stage, trained on what content tokens leave over,
                            // from ever being applied to a token the earlier bound left alone.
                            if (stopped[t] || StopsAt(stage, firstToken + t, residual, stageDistances[t]))
                            {
                                stopped[t] = true;
                                symbols[(t * _columns) + column] = 0;
                                continue;
                            }

                            symbols[(t * _columns) + column] = symbol + 1;
                        }
                        else
                        {
                            symbols[(t * _columns) + column] = symbol;
                        }

                        if (s + 1 < _codebook.Stages)
                        {
                            TensorPrimitives.Subtract(residual, centroids.Row(symbol), residual);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(aligned);
            if (projected is not null)
            {
                ArrayPool<float>.Shared.Return(projected);
            }

            ArrayPool<float>.Shared.Return(group);
            ArrayPool<int>.Shared.Return(indices);
            if (distances is not null)
            {
                ArrayPool<float>.Shared.Return(distances);
                ArrayPool<bool>.Shared.Return(stopped!);
            }
        }
    }

    /// <summary>The error-bound rule, shared with codebook training: a token with squared error <paramref name="energy"/>
    /// left stops at a stage once it is within the stage's <paramref name="bound"/>, or once its nearest centroid is no
    /// closer than leaving it as it is.</summary>
    internal static bool Stops(float energy, float bound, float nearestDistance) => energy <= bound || nearestDistance >= energy;

    private bool StopsAt(int stage, int token, ReadOnlySpan<float> residual, float nearestDistance) =>
        Stops(TensorPrimitives.SumOfSquares(residual), _codebook.StopEnergyAt(stage, token), nearestDistance);

    private void Align(ReadOnlySpan<float> features, int tokens, Span<float> aligned, Span<int> symbols, Span<float> scratch, int firstToken)
    {
        var dimension = _codebook.Dimension;
        var alignment = _codebook.Document.Alignment;
        var center = alignment.Center;
        for (var t = 0; t < tokens; t++)
        {
            var target = aligned.Slice(t * dimension, dimension);
            var bias = Bias(firstToken + t);
            if (!bias.IsEmpty)
            {
                TensorPrimitives.Subtract(features.Slice(t * dimension, dimension), bias, target);
            }
            else
            {
                features.Slice(t * dimension, dimension).CopyTo(target);
            }

            if (_codebook.NormalizesTokens)
            {
                var (mean, rms) = TokenAlignment.Measure(target, scratch);
                var quantized = TokenAlignment.Quantize(alignment, mean, rms);
                symbols[t * _columns] = quantized.MeanSymbol;
                symbols[(t * _columns) + 1] = quantized.RmsSymbol;
                TensorPrimitives.Subtract(target, quantized.Mean, target);
                TensorPrimitives.Multiply(target, 1f / quantized.Rms, target);
            }

            if (center is not null)
            {
                TensorPrimitives.Subtract(target, center, target);
            }
        }
    }

    /// <summary>The bias subtracted from the token at <paramref name="token"/> of a stream of frames: its position's row of
    /// the position bias, else the channel bias, else nothing.</summary>
    private ReadOnlySpan<float> Bias(int token)
    {
        var alignment = _codebook.Document.Alignment;
        if (alignment.PositionBias is { } positions)
        {
            var dimension = _codebook.Dimension;
            return positions.AsSpan(token % _codebook.Positions * dimension, dimension);
        }

        return alignment.ChannelBias;
    }

    /// <summary>Rebuilds features from token-major symbols, as <see cref="Decode"/> does after unpacking.</summary>
    internal void Reconstruct(ReadOnlySpan<int> symbols, int tokens, Span<float> features, int firstToken = 0)
    {
        var dimension = _codebook.Dimension;
        var quantizedDimension = _codebook.QuantizedDimension;
        var projected = _codebook.ProjectionTransposed is null ? null : ArrayPool<float>.Shared.Rent(tokens * quantizedDimension);

        // The whole pooled array, not only the rows used: the blocked projection kernel may read past the last row, and
        // a dirty pool can hold NaN from a hostile frame (NaN times a zero weight is still NaN).
        if (projected is not null)
        {
            Array.Clear(projected);
        }

        try
        {
            var quantized = projected is null ? features : projected.AsSpan(0, tokens * quantizedDimension);
            quantized.Clear();
            var order = _codebook.Document.Quantizer.DimensionOrder;
            for (var g = 0; g < _codebook.Groups; g++)
            {
                var start = _codebook.GroupOffsets[g];
                var width = _codebook.GroupOffsets[g + 1] - start;
                for (var s = 0; s < _codebook.Stages; s++)
                {
                    var stage = (g * _codebook.Stages) + s;
                    var centroids = _codebook.Centroids[stage];
                    var column = _statisticColumns + stage;
                    var skipSymbols = _codebook.HasErrorBound ? 1 : 0;
                    for (var t = 0; t < tokens; t++)
                    {
                        var symbol = symbols[(t * _columns) + column] - skipSymbols;
                        if (symbol < 0)
                        {
                            continue;
                        }

                        var centroid = centroids.Row(symbol);
                        var target = quantized.Slice(t * quantizedDimension, quantizedDimension);
                        for (var j = 0; j < width; j++)
                        {
                            target[order[start + j]] += centroid[j];
                        }
                    }
                }
            }

            if (projected is not null)
            {
                MatrixMultiply.MultiplyTransposed(quantized, tokens, _codebook.ProjectionTransposed, dimension, quantizedDimension, features, _options.MaxDegreeOfParallelism);
            }

            var alignment = _codebook.Document.Alignment;
            var center = alignment.Center;
            for (var t = 0; t < tokens; t++)
            {
                var row = features.Slice(t * dimension, dimension);
                if (center is not null)
                {
                    TensorPrimitives.Add(row, center, row);
                }

                if (_codebook.NormalizesTokens)
                {
                    var (mean, rms) = TokenAlignment.Dequantize(alignment, symbols[t * _columns], symbols[(t * _columns) + 1]);
                    TensorPrimitives.Multiply(row, rms, row);
                    TensorPrimitives.Add(row, mean, row);
                }

                var bias = Bias(firstToken + t);
                if (!bias.IsEmpty)
                {
                    TensorPrimitives.Add(row, bias, row);
                }
            }
        }
        finally
        {
            if (projected is not null)
            {
                ArrayPool<float>.Shared.Return(projected);
            }
        }
    }

    private FrequencyTable[] PerPositionTables(FrequencyTable[][] byPosition)
    {
        var positions = _codebook.Positions;
        var tables = new FrequencyTable[positions * _columns];
        for (var t = 0; t < positions; t++)
        {
            for (var c = 0; c < _columns; c++)
            {
                tables[(t * _columns) + c] = c < _statisticColumns ? _tables[c] : byPosition[c - _statisticColumns][t];
            }
        }

        return tables;
    }

    private int PackedPayloadLength(int tokens)
    {
        var length = 0;
        foreach (var table in _tables)
        {
            length += BitPacker.PackedByteCount(tokens, Codebook.BitWidth(table.SymbolCount));
        }

        return length;
    }

    private int PackColumns(ReadOnlySpan<int> tokenMajor, int tokens, Span<byte> payload)
    {
        var column = ArrayPool<int>.Shared.Rent(tokens);
        try
        {
            var offset = 0;
            for (var c = 0; c < _columns; c++)
            {
                var values = column.AsSpan(0, tokens);
                for (var t = 0; t < tokens; t++)
                {
                    values[t] = tokenMajor[(t * _columns) + c];
                }

                var width = Codebook.BitWidth(_tables[c].SymbolCount);
                var length = BitPacker.PackedByteCount(tokens, width);
                BitPacker.Pack(values, width, payload.Slice(offset, length));
                offset += length;
            }

            return offset;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(column);
        }
    }

    private FrameStatus UnpackColumns(ReadOnlySpan<byte> payload, int tokens, Span<int> tokenMajor)
    {
        if (payload.Length != PackedPayloadLength(tokens))
        {
            return FrameStatus.CorruptPayload;
        }

        var column = ArrayPool<int>.Shared.Rent(tokens);
        try
        {
            var offset = 0;
            for (var c = 0; c < _columns; c++)
            {
                var values = column.AsSpan(0, tokens);
                var symbolCount = _tables[c].SymbolCount;
                var width = Codebook.BitWidth(symbolCount);
                var length = BitPacker.PackedByteCount(tokens, width);
                BitPacker.Unpack(payload.Slice(offset, length), width, values);
                offset += length;
                for (var t = 0; t < tokens; t++)
                {
                    if ((uint)values[t] >= (uint)symbolCount)
                    {
                        return FrameStatus.IndexOutOfRange;
                    }

                    tokenMajor[(t * _columns) + c] = values[t];
                }
            }

            return FrameStatus.Ok;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(column);
        }
    }

    private int MaxGroupWidth()
    {
        var width = 0;
        for (var g = 0; g < _codebook.Groups; g++)
        {
            width = Math.Max(width, _codebook.GroupOffsets[g + 1] - _codebook.GroupOffsets[g]);
        }

        return width;
    }
}
