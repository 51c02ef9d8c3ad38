namespace EdgeCloudVlm.Codec;

/// <summary>Run-time choices of an <see cref="AlignedVqCodec"/> that do not change the codebook.</summary>
public sealed record AlignedVqCodecOptions
{
    /// <summary>
    /// rANS-code the symbols with the codebook's frequency tables instead of fixed-width packing, whenever that is
    /// smaller (the frame's flags say which was used).
    /// </summary>
    public bool EntropyCoding { get; init; } = true;

    /// <summary>Threads used for one frame; 1 keeps the work on the calling thread.</summary>
    public int MaxDegreeOfParallelism { get; init; } = 1;
}
