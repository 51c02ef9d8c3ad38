using System.Numerics.Tensors;
using EdgeCloudVlm.Codec.Alignment;
using EdgeCloudVlm.Codec.Coding;
using EdgeCloudVlm.Codec.Numerics;
using EdgeCloudVlm.Codec.Quantization;
using EdgeCloudVlm.Codec.Training;

namespace EdgeCloudVlm.Codec.Codebooks;

/// <summary>Settings of one codebook training run that do not shape the codebook.</summary>
public sealed record CodebookTrainingOptions
{
    /// <summary>Seed of every random choice; the same seed and data give the same codebook bytes.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Maximum Lloyd iterations per stage.</summary>
    public int Iterations { get; init; } = 20;

    /// <summary>Model the codebook belongs to.</summary>
    public string ModelId { get; init; } = "";

    /// <summary>Name of the split tensor.</summary>
    public string SplitName { get; init; } = "";

    /// <summary>Free text describing the calibration data, stored in the file.</summary>
    public string DataDescription { get; init; } = "";

    /// <summary>Threads for k-means and PCA.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Resample normalized tokens in proportion to their squared RMS before PCA and k-means, so training minimizes the
    /// error in the original space; false weights every token equally (the error after normalization). Not done for a
    /// configuration with both an error bound and a position bias, whose per-position bounds need every calibration
    /// token at its place in its frame.
    /// </summary>
    public bool WeightTokensByRms { get; init; } = true;

    /// <summary>At most this many vectors (a deterministic sample) feed the PCA covariance.</summary>
    public int MaxProjectionSamples { get; init; } = 16_384;

    /// <summary>Tokens per frame of the calibration features (frames one after another); needed by configurations
    /// with a position bias, ignored otherwise. 0 when unknown.</summary>
    public int TokensPerFrame { get; init; }
}

/// <summary>Progress of a training run: which step, and k-means' own progress inside it.</summary>
/// <param name="Step">Human-readable step name.</param>
/// <param name="StepIndex">Zero-based step number.</param>
/// <param name="StepCount">Total steps.</param>
/// <param name="Distortion">Latest k-means distortion, when the step runs k-means.</param>
public readonly record struct CodebookTrainingProgress(string Step, int StepIndex, int StepCount, double Distortion);

/// <summary>
/// Trains an AlignedVQ codebook from calibration features: statistic quantizers, centering, PCA, energy-balanced
/// groups, residual k-means per stage and frequency tables measured on the calibration symbols.
/// </summary>
public static class CodebookTrainer
{
    /// <summary>Trains a codebook on row-major calibration <paramref name="features"/> of the given dimension.</summary>
    public static Codebook Train(
        ReadOnlySpan<float> features,
        int dimension,
        AlignedVqConfig config,
        CodebookTrainingOptions? options = null,
        IProgress<CodebookTrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new CodebookTrainingOptions();
        config.Validate(dimension);
        if (features.Length == 0 || features.Length % dimension != 0)
        {
            throw new ArgumentException($"Calibration features must be a non-empty multiple of dimension {dimension}.", nameof(features));
        }

        var count = features.Length / dimension;
        var stepCount = 3 + (config.Groups * config.Stages);
        var step = 0;
        void Report(string name, double distortion = double.NaN) =>
            progress?.Report(new CodebookTrainingProgress(name, step, stepCount, distortion));

        var document = new CodebookDocument
        {
            ModelId = options.ModelId,
            SplitName = options.SplitName,
            Dimension = dimension,
        };

        Report("token statistics");
        var aligned = new float[features.Length];
        var debiased = features;
        if (config.PositionBias)
        {
            var positions = options.TokensPerFrame;
            if (positions <= 0 || count % positions != 0)
            {
                throw new ArgumentException(
                    $"A position-bias configuration needs TokensPerFrame, and whole frames of calibration features ({count} tokens, {positions} per frame).",
                    nameof(options));
            }

            var bias = PositionMeans(features, count / positions, positions, dimension);
            document.Alignment.PositionBias = bias;
            for (var t = 0; t < count; t++)
            {
                TensorPrimitives.Subtract(features.Slice(t * dimension, dimension), bias.AsSpan(t % positions * dimension, dimension), aligned.AsSpan(t * dimension, dimension));
            }

            debiased = aligned;
        }
        else if (config.Center)
        {
            document.Alignment.ChannelBias = ColumnMeans(features, count, dimension);
            for (var t = 0; t < count; t++)
            {
                TensorPrimitives.Subtract(features.Slice(t * dimension, dimension), document.Alignment.ChannelBias, aligned.AsSpan(t * dimension, dimension));
            }

            debiased = aligned;
        }

        if (config.NormalizeTokens)
        {
            var weights = TrainStatistics(debiased, dimension, config, options, document.Alignment, aligned, cancellationToken);
            if (options.WeightTokensByRms && !(config.ErrorBound is not null && config.PositionBias))
            {
                aligned = ResampleByWeight(aligned, weights, dimension, options.Seed);
            }
        }
        else if (!config.Center && !config.PositionBias)
        {
            features.CopyTo(aligned);
        }

        step++;
        cancellationToken.ThrowIfCancellationRequested();
        Report("centering and projection");
        var vectors = CenterAndProject(aligned, count, dimension, config, options, document, cancellationToken);
        var quantizedDimension = config.ProjectionDimension ?? dimension;
        step++;

        // Error bounds are relative to the mean energy of each token position (one for all without a position bias):
        // a class token varies far less than a patch, yet carries what the whole image is about.
        var boundPositions = config.PositionBias ? options.TokensPerFrame : 1;
        document.Quantizer = new QuantizerSection
        {
            Groups = config.Groups,
            Stages = config.Stages,
            DimensionOrder = BalancedOrder(vectors, count, quantizedDimension, config.Groups),
            Codebooks = new StageCodebook[config.Groups * config.Stages],
            StopEnergy = config.ErrorBound is null ? null : new float[config.Groups * config.Stages * boundPositions],
        };

        var stageDistortions = new double[config.Groups * config.Stages];
        var order = document.Quantizer.DimensionOrder;
        for (var g = 0; g < config.Groups; g++)
        {
            var start = g * quantizedDimension / config.Groups;
            var width = ((g + 1) * quantizedDimension / config.Groups) - start;
            var group = new float[count * width];
            for (var t = 0; t < count; t++)
            {
                for (var j = 0; j < width; j++)
                {
                    group[(t * width) + j] = vectors[(t * quantizedDimension) + order[start + j]];
                }
            }

            var indices = new int[count];
            var energies = new float[count];
            var meanEnergy = Array.Empty<double>();
            var rowBounds = config.ErrorBound is null ? [] : new float[count];
            var stopped = new bool[config.ErrorBound is null ? 0 : count];
            for (var s = 0; s < config.Stages; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var stage = (g * config.Stages) + s;
                if (config.ErrorBound is { } bound)
                {
                    // What each token has left; before the first stage, what the bounds are relative to.
                    RowEnergies(group, width, energies);
                    if (s == 0)
                    {
                        meanEnergy = MeanByPosition(energies, boundPositions);
                    }

                    var fraction = s == 0 ? config.FirstStageBound ?? bound : bound;
                    var stopEnergy = document.Quantizer.StopEnergy.AsSpan(stage * boundPositions, boundPositions);
                    for (var p = 0; p < boundPositions; p++)
                    {
                        stopEnergy[p] = (float)(fraction * meanEnergy[p]);
                    }

                    for (var t = 0; t < count; t++)
                    {
                        // A stopped token never uses a later stage (see AlignedVqCodec.ComputeSymbols).
                        rowBounds[t] = stopped[t] ? float.PositiveInfinity : stopEnergy[t % boundPositions];
                    }
                }

                var stageName = $"k-means group {g + 1}/{config.Groups} stage {s + 1}/{config.Stages}";
                Report(stageName);
                var kmeansProgress = progress is null ? null : new InlineProgress<KMeansProgress>(p => Report(stageName, p.Distortion));
                var result = KMeansTrainer.Train(
                    config.ErrorBound is null ? group : RowsAbove(group, width, energies, rowBounds, config.CodebookSize),
                    width,
                    new KMeansOptions
                    {
                        ClusterCount = config.CodebookSize,
                        MaxIterations = options.Iterations,
                        Seed = options.Seed + (stage * 7919),
                        MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
                    },
                    kmeansProgress,
                    cancellationToken);

                var centroids = result.Centroids;
                var distances = new float[count];
                NearestCentroid.Assign(group, centroids, indices, distances, options.MaxDegreeOfParallelism);
                double squared = 0;
                for (var t = 0; t < count; t++)
                {
                    var residual = group.AsSpan(t * width, width);
                    if (config.ErrorBound is not null && AlignedVqCodec.Stops(energies[t], rowBounds[t], distances[t]))
                    {
                        // The codec's skip symbol: this token keeps its residual and stops (see AlignedVqCodec.ComputeSymbols).
                        stopped[t] = true;
                        squared += energies[t];
                        continue;
                    }

                    squared += distances[t];
                    TensorPrimitives.Subtract(residual, centroids.Row(indices[t]), residual);
                }

                stageDistortions[stage] = squared / count;
                document.Quantizer.Codebooks[stage] = new StageCodebook
                {
                    Size = centroids.Count,
                    Dimension = width,
                    Centroids = centroids.Values.ToArray(),
                };
                step++;
            }
        }

        document.Training = new TrainingMetadata
        {
            DataDescription = options.DataDescription,
            Seed = options.Seed,
            Iterations = options.Iterations,
            SampleCount = count,
            StageDistortions = stageDistortions,
            Configuration = config.ToString(),
        };

        Report("measuring symbol frequencies and distortion");
        document.Training.FinalDistortion = MeasureFrequenciesAndError(document, features, count, dimension, options.MaxDegreeOfParallelism);
        return CodebookFile.Create(document);
    }

    /// <summary>Fills <paramref name="energies"/> with each row's squared norm.</summary>
    private static void RowEnergies(float[] rows, int width, float[] energies)
    {
        for (var t = 0; t < energies.Length; t++)
        {
            energies[t] = TensorPrimitives.SumOfSquares(rows.AsSpan(t * width, width));
        }
    }

    /// <summary>Mean of <paramref name="values"/> by row position within frames of <paramref name="positions"/> rows.</summary>
    private static double[] MeanByPosition(float[] values, int positions)
    {
        var sums = new double[positions];
        for (var t = 0; t < values.Length; t++)
        {
            sums[t % positions] += values[t];
        }

        var frames = values.Length / positions;
        for (var p = 0; p < positions; p++)
        {
            sums[p] /= frames;
        }

        return sums;
    }

    /// <summary>The rows whose energy is above their bound: what a stage under an error bound quantizes. All rows when
    /// fewer than <paramref name="minimum"/> are, so k-means still has a centroid's worth of data each.</summary>
    private static float[] RowsAbove(float[] rows, int width, float[] energies, float[] bounds, int minimum)
    {
        var above = 0;
        for (var t = 0; t < energies.Length; t++)
        {
            above += energies[t] > bounds[t] ? 1 : 0;
        }

        if (above < minimum)
        {
            return rows;
        }

        var selected = new float[above * width];
        var next = 0;
        for (var t = 0; t < energies.Length; t++)
        {
            if (energies[t] > bounds[t])
            {
                rows.AsSpan(t * width, width).CopyTo(selected.AsSpan(next++ * width, width));
            }
        }

        return selected;
    }

    /// <summary>Trains the statistic quantizers, normalizes into <paramref name="aligned"/> and returns each token's squared quantized RMS.</summary>
    private static float[] TrainStatistics(
        ReadOnlySpan<float> features,
        int dimension,
        AlignedVqConfig config,
        CodebookTrainingOptions options,
        AlignmentSection alignment,
        float[] aligned,
        CancellationToken cancellationToken)
    {
        var count = features.Length / dimension;
        var weights = new float[count];
        var means = new float[count];
        var rmsValues = new float[count];
        var log2Rms = new float[count];
        var scratch = new float[dimension];
        for (var t = 0; t < count; t++)
        {
            (means[t], rmsValues[t]) = TokenAlignment.Measure(features.Slice(t * dimension, dimension), scratch);
            log2Rms[t] = TokenAlignment.ToCoordinates(means[t], rmsValues[t]).Log2Rms;
        }

        alignment.NormalizeTokens = true;
        alignment.Log2RmsLevels = TrainLevels(log2Rms, config.RmsLevels, options, cancellationToken);
        var relativeMeans = new float[count];
        for (var t = 0; t < count; t++)
        {
            var rmsSymbol = ScalarLevels.Nearest(alignment.Log2RmsLevels, log2Rms[t]);
            relativeMeans[t] = means[t] / MathF.Pow(2f, alignment.Log2RmsLevels[rmsSymbol]);
        }

        alignment.RelativeMeanLevels = TrainLevels(relativeMeans, config.MeanLevels, options, cancellationToken);
        for (var t = 0; t < count; t++)
        {
            var (_, _, mean, rms) = TokenAlignment.Quantize(alignment, means[t], rmsValues[t]);
            weights[t] = rms * rms;
            var target = aligned.AsSpan(t * dimension, dimension);
            TensorPrimitives.Subtract(features.Slice(t * dimension, dimension), mean, target);
            TensorPrimitives.Multiply(target, 1f / rms, target);
        }

        return weights;
    }

    /// <summary>
    /// Draws as many rows as there are, with replacement, with probability proportional to <paramref name="weights"/>.
    /// A normalized token's error comes back multiplied by its RMS squared, so k-means and PCA on this sample minimize
    /// the error in the original space (a weighted k-means) while the codebook still works on normalized vectors.
    /// </summary>
    private static float[] ResampleByWeight(float[] rows, float[] weights, int dimension, int seed)
    {
        var count = weights.Length;
        var cumulative = new double[count];
        double total = 0;
        for (var t = 0; t < count; t++)
        {
            total += weights[t];
            cumulative[t] = total;
        }

        if (!(total > 0))
        {
            return rows;
        }

        var random = new Random(seed ^ 0x3c6ef372);
        var sample = new float[rows.Length];
        for (var i = 0; i < count; i++)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            var row = Math.Min(count - 1, index >= 0 ? index : ~index);
            rows.AsSpan(row * dimension, dimension).CopyTo(sample.AsSpan(i * dimension, dimension));
        }

        return sample;
    }

    /// <summary>
    /// Mean of each token position over <paramref name="frames"/> frames of <paramref name="positions"/> tokens.
    /// </summary>
    private static float[] PositionMeans(ReadOnlySpan<float> features, int frames, int positions, int dimension)
    {
        var sums = new double[positions * dimension];
        for (var f = 0; f < frames; f++)
        {
            var frame = features.Slice(f * positions * dimension, positions * dimension);
            for (var i = 0; i < sums.Length; i++)
            {
                sums[i] += frame[i];
            }
        }

        var means = new float[sums.Length];
        for (var i = 0; i < sums.Length; i++)
        {
            means[i] = (float)(sums[i] / frames);
        }

        return means;
    }

    /// <summary>
    /// One pass of the finished quantizer over the (unweighted) calibration features: frequency tables from the symbols
    /// it gives, and the relative error of the reconstruction (which the tables do not affect). Returns the error.
    /// </summary>
    private static double MeasureFrequenciesAndError(CodebookDocument document, ReadOnlySpan<float> features, int count, int dimension, int parallelism)
    {
        var codec = new AlignedVqCodec(CodebookFile.Create(document), new AlignedVqCodecOptions { MaxDegreeOfParallelism = parallelism });
        var statistics = document.Alignment.NormalizeTokens ? 2 : 0;
        var columns = statistics + document.Quantizer.Codebooks.Length;
        var counts = new long[columns][];
        for (var c = 0; c < columns; c++)
        {
            var alphabet = c switch
            {
                0 when statistics == 2 => document.Alignment.RelativeMeanLevels.Length,
                1 when statistics == 2 => document.Alignment.Log2RmsLevels.Length,
                _ => codec.Codebook.StageAlphabet(c - statistics),
            };
            counts[c] = new long[alphabet];
        }

        var positions = codec.Codebook.Positions;
        var positionCounts = new long[positions * columns][];
        for (var i = 0; i < positionCounts.Length; i++)
        {
            positionCounts[i] = new long[counts[i % columns].Length];
        }

        const int chunk = 1024;
        var symbols = new int[chunk * columns];
        var reconstruction = new float[Math.Min(count, chunk) * dimension];
        double error = 0, energy = 0;
        for (var start = 0; start < count; start += chunk)
        {
            var rows = Math.Min(chunk, count - start);
            var span = symbols.AsSpan(0, rows * columns);
            var source = features.Slice(start * dimension, rows * dimension);
            codec.ComputeSymbols(source, rows, span, start);
            for (var i = 0; i < span.Length; i++)
            {
                counts[i % columns][span[i]]++;
            }

            if (positions > 0)
            {
                for (var r = 0; r < rows; r++)
                {
                    var position = (start + r) % positions;
                    for (var c = statistics; c < columns; c++)
                    {
                        positionCounts[(position * columns) + c][span[(r * columns) + c]]++;
                    }
                }
            }

            var target = reconstruction.AsSpan(0, rows * dimension);
            codec.Reconstruct(span, rows, target, start);
            for (var i = 0; i < source.Length; i++)
            {
                double delta = source[i] - target[i];
                error += delta * delta;
                energy += (double)source[i] * source[i];
            }
        }

        if (statistics == 2)
        {
            document.Alignment.RelativeMeanFrequencies = ToSection(FrequencyTable.FromCounts(counts[0]));
            document.Alignment.Log2RmsFrequencies = ToSection(FrequencyTable.FromCounts(counts[1]));
        }

        for (var c = statistics; c < columns; c++)
        {
            var stage = document.Quantizer.Codebooks[c - statistics];
            stage.Frequencies = ToSection(FrequencyTable.FromCounts(counts[c]));
            stage.PositionFrequencies = positions == 0 ? null : PositionSections(counts[c], positionCounts, positions, columns, c);
        }

        return energy == 0 ? 0 : error / energy;
    }

    /// <summary>Calibration samples' worth of weight the all-position distribution gets in each position's table, so
    /// that a cell a position never used in calibration costs a few bits more, not the table's floor.</summary>
    internal const int PositionPriorWeight = 32;

    private static FrequencySection[] PositionSections(long[] all, long[][] positionCounts, int positions, int columns, int column)
    {
        // p(symbol | position) ∝ n(position, symbol) + w · n(symbol) / N, scaled by N to stay in integers.
        long total = 0;
        foreach (var n in all)
        {
            total += n;
        }

        var sections = new FrequencySection[positions];
        var mixed = new long[all.Length];
        for (var position = 0; position < positions; position++)
        {
            var counts = positionCounts[(position * columns) + column];
            for (var s = 0; s < mixed.Length; s++)
            {
                mixed[s] = (counts[s] * total) + (PositionPriorWeight * all[s]);
            }

            sections[position] = ToSection(FrequencyTable.FromCounts(mixed));
        }

        return sections;
    }

    /// <summary>Lloyd-Max levels of a scalar (1-D k-means), sorted and made strictly increasing.</summary>
    private static float[] TrainLevels(float[] values, int levels, CodebookTrainingOptions options, CancellationToken cancellationToken)
    {
        var result = KMeansTrainer.Train(
            values,
            1,
            new KMeansOptions { ClusterCount = levels, MaxIterations = 50, Seed = options.Seed, MaxDegreeOfParallelism = 1 },
            null,
            cancellationToken);
        var sorted = result.Centroids.Values.ToArray();
        Array.Sort(sorted);
        var distinct = new List<float>(sorted.Length);
        foreach (var value in sorted)
        {
            if (float.IsFinite(value) && (distinct.Count == 0 || value > distinct[^1]))
            {
                distinct.Add(value);
            }
        }

        // Constant calibration statistics still need two levels so the symbol alphabet is valid.
        while (distinct.Count < 2)
        {
            distinct.Add(distinct.Count == 0 ? 0f : distinct[^1] + 1f);
        }

        return [.. distinct];
    }

    private static float[] CenterAndProject(
        float[] aligned, int count, int dimension, AlignedVqConfig config, CodebookTrainingOptions options, CodebookDocument document, CancellationToken cancellationToken)
    {
        if (config.Center || config.ProjectionDimension is not null)
        {
            var centerValues = ColumnMeans(aligned, count, dimension);
            document.Alignment.Center = centerValues;
            for (var t = 0; t < count; t++)
            {
                var row = aligned.AsSpan(t * dimension, dimension);
                TensorPrimitives.Subtract(row, centerValues, row);
            }
        }

        if (config.ProjectionDimension is not { } outputDimension)
        {
            return aligned;
        }

        var sample = DeterministicSample(aligned, count, dimension, options.MaxProjectionSamples, options.Seed);
        var pca = PcaFitter.Fit(sample, dimension, cancellationToken);
        var components = pca.Components.AsSpan(0, outputDimension * dimension).ToArray();
        document.Projection = new ProjectionSection
        {
            OutputDimension = outputDimension,
            Components = components,
            Variances = pca.Variances.AsSpan(0, outputDimension).ToArray(),
        };

        var projected = new float[count * outputDimension];
        MatrixMultiply.MultiplyTransposed(aligned, count, components, outputDimension, dimension, projected, options.MaxDegreeOfParallelism);
        return projected;
    }

    private static float[] ColumnMeans(ReadOnlySpan<float> rows, int count, int dimension)
    {
        var sums = new double[dimension];
        for (var t = 0; t < count; t++)
        {
            var row = rows.Slice(t * dimension, dimension);
            for (var d = 0; d < dimension; d++)
            {
                sums[d] += row[d];
            }
        }

        var means = new float[dimension];
        for (var d = 0; d < dimension; d++)
        {
            means[d] = (float)(sums[d] / count);
        }

        return means;
    }

    private static float[] DeterministicSample(float[] data, int count, int dimension, int maxRows, int seed)
    {
        if (count <= maxRows)
        {
            return data;
        }

        var random = new Random(seed);
        var rows = new int[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = i;
        }

        random.Shuffle(rows);
        Array.Sort(rows, 0, maxRows);
        var sample = new float[maxRows * dimension];
        for (var i = 0; i < maxRows; i++)
        {
            data.AsSpan(rows[i] * dimension, dimension).CopyTo(sample.AsSpan(i * dimension, dimension));
        }

        return sample;
    }

    /// <summary>
    /// Assigns coordinates to groups so each group carries about the same variance: coordinates by decreasing variance
    /// go to the group with the least variance so far that still has room. Without it PCA would put most energy in group 0.
    /// </summary>
    private static int[] BalancedOrder(float[] vectors, int count, int dimension, int groups)
    {
        var variance = new double[dimension];
        var mean = new double[dimension];
        for (var t = 0; t < count; t++)
        {
            for (var d = 0; d < dimension; d++)
            {
                mean[d] += vectors[(t * dimension) + d];
            }
        }

        for (var d = 0; d < dimension; d++)
        {
            mean[d] /= count;
        }

        for (var t = 0; t < count; t++)
        {
            for (var d = 0; d < dimension; d++)
            {
                var delta = vectors[(t * dimension) + d] - mean[d];
                variance[d] += delta * delta;
            }
        }

        var byVariance = new int[dimension];
        for (var d = 0; d < dimension; d++)
        {
            byVariance[d] = d;
        }

        Array.Sort(byVariance, (x, y) => variance[y].CompareTo(variance[x]) is var c && c != 0 ? c : x.CompareTo(y));
        var members = new List<int>[groups];
        var load = new double[groups];
        for (var g = 0; g < groups; g++)
        {
            members[g] = [];
        }

        foreach (var d in byVariance)
        {
            var best = -1;
            for (var g = 0; g < groups; g++)
            {
                var capacity = ((g + 1) * dimension / groups) - (g * dimension / groups);
                if (members[g].Count < capacity && (best < 0 || load[g] < load[best]))
                {
                    best = g;
                }
            }

            members[best].Add(d);
            load[best] += variance[d];
        }

        var order = new int[dimension];
        var position = 0;
        foreach (var group in members)
        {
            group.Sort();
            foreach (var d in group)
            {
                order[position++] = d;
            }
        }

        return order;
    }

    private static FrequencySection ToSection(FrequencyTable table) =>
        new() { ScaleBits = table.ScaleBits, Frequencies = table.Frequencies.ToArray() };
}

/// <summary>Reports on the calling thread, so progress arrives in order (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
