namespace EdgeCloudVlm.Codec.Synthetic;

/// <summary>
/// Synthetic activations shaped like a ViT residual stream, for codec tests and benchmarks when no real model is at
/// hand. The structure (a low-rank basis with decaying spectrum, a shared channel bias, Zipf-distributed "semantic"
/// prototypes laid out in spatial patches, a few massive channels with large values in every token and larger still in
/// the high-norm tokens, about 2% high-norm tokens with global content, and a log-normal per-token scale and offset spread) is fixed by the structure seed; each sample seed draws
/// new tokens from that structure. Training on one sample seed and evaluating on another is then an honest split.
/// </summary>
public sealed class VitActivationGenerator
{
    private const int Rank = 64;
    private const int Prototypes = 48;
    private const int MassiveChannels = 4;
    private const int GlobalPrototypes = 4;
    private const double HighNormShare = 0.02;

    private readonly float[] _basis;        // Rank x Dimension
    private readonly float[] _prototypes;   // Prototypes x Rank
    private readonly float[] _bias;         // Dimension
    private readonly int[] _massiveChannels;
    private readonly float[] _massiveValues;
    private readonly double[] _prototypeCumulative;

    /// <summary>Creates the generator's fixed structure.</summary>
    public VitActivationGenerator(int tokens, int dimension, int structureSeed = 2411)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, MassiveChannels + 1);
        Tokens = tokens;
        Dimension = dimension;
        var random = new Random(structureSeed);
        _basis = new float[Rank * dimension];
        for (var r = 0; r < Rank; r++)
        {
            var strength = 1.0 / Math.Sqrt(1.0 + (r / 4.0));
            for (var d = 0; d < dimension; d++)
            {
                _basis[(r * dimension) + d] = (float)(Gaussian(random) * strength);
            }
        }

        _prototypes = new float[(Prototypes + GlobalPrototypes) * Rank];
        for (var i = 0; i < _prototypes.Length; i++)
        {
            _prototypes[i] = (float)(Gaussian(random) * 1.2);
        }

        _bias = new float[dimension];
        for (var d = 0; d < dimension; d++)
        {
            _bias[d] = (float)(Gaussian(random) * 0.3);
        }

        _massiveChannels = new int[MassiveChannels];
        _massiveValues = new float[MassiveChannels];
        for (var i = 0; i < MassiveChannels; i++)
        {
            int channel;
            do
            {
                channel = random.Next(dimension);
            }
            while (Array.IndexOf(_massiveChannels, channel, 0, i) >= 0);
            _massiveChannels[i] = channel;
            _massiveValues[i] = (float)((random.Next(2) * 2 - 1) * (6 + (9 * random.NextDouble())));
        }

        _prototypeCumulative = new double[Prototypes];
        double total = 0;
        for (var i = 0; i < Prototypes; i++)
        {
            total += 1.0 / (i + 1);
            _prototypeCumulative[i] = total;
        }

        for (var i = 0; i < Prototypes; i++)
        {
            _prototypeCumulative[i] /= total;
        }
    }

    /// <summary>Tokens per sample.</summary>
    public int Tokens { get; }

    /// <summary>Channels per token.</summary>
    public int Dimension { get; }

    /// <summary>Writes one sample of Tokens x Dimension values for <paramref name="sampleSeed"/>.</summary>
    public void Generate(int sampleSeed, Span<float> destination)
    {
        if (destination.Length != Tokens * Dimension)
        {
            throw new ArgumentException($"Destination must hold {Tokens} x {Dimension} values.", nameof(destination));
        }

        // Not HashCode.Combine: it is seeded per process, so the same sample seed would draw another frame each run.
        var random = new Random(unchecked((sampleSeed * -1640531535) ^ 0x5eed));
        var side = Math.Max(1, (int)Math.Sqrt(Tokens - 1));
        var regionPrototypes = new int[((side / 4) + 1) * ((side / 4) + 1)];
        for (var i = 0; i < regionPrototypes.Length; i++)
        {
            regionPrototypes[i] = DrawPrototype(random);
        }

        Span<float> latent = stackalloc float[Rank];
        for (var t = 0; t < Tokens; t++)
        {
            var patch = Math.Max(0, t - 1);
            var region = ((patch / side / 4) * ((side / 4) + 1)) + (patch % side / 4);
            // High-norm tokens (the CLS token and about 2% of patches, as in ViTs that grow "register" tokens) carry
            // global content in a few prototypes of their own, at several times the usual norm.
            var highNorm = t == 0 || random.NextDouble() < HighNormShare;
            var prototype = highNorm
                ? Prototypes + random.Next(GlobalPrototypes)
                : random.NextDouble() < 0.8 && region < regionPrototypes.Length ? regionPrototypes[region] : DrawPrototype(random);
            for (var r = 0; r < Rank; r++)
            {
                latent[r] = _prototypes[(prototype * Rank) + r] + (float)(Gaussian(random) * 0.5);
            }

            var scale = (float)Math.Exp(Gaussian(random) * 0.8) * (highNorm ? 4f : 1f);
            var offset = (float)(Gaussian(random) * 0.2);
            var row = destination.Slice(t * Dimension, Dimension);
            for (var d = 0; d < Dimension; d++)
            {
                float value = _bias[d];
                for (var r = 0; r < Rank; r++)
                {
                    value += latent[r] * _basis[(r * Dimension) + d];
                }

                row[d] = (scale * (value + (float)(Gaussian(random) * 0.15))) + offset;
            }

            var sink = highNorm ? 6f : 1f;
            for (var i = 0; i < MassiveChannels; i++)
            {
                row[_massiveChannels[i]] = _massiveValues[i] * sink * (1f + (float)(Gaussian(random) * 0.05));
            }
        }
    }

    private int DrawPrototype(Random random)
    {
        var u = random.NextDouble();
        var index = Array.BinarySearch(_prototypeCumulative, u);
        return Math.Min(Prototypes - 1, index >= 0 ? index : ~index);
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
