using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Codebooks;

/// <summary>The AlignedVQ codec and the JPEG fallback (section <c>Edge:Codec</c>).</summary>
public sealed class CodecOptions
{
    public const string SectionName = "Edge:Codec";

    /// <summary>Codebook to encode with (64 hex digits); default the first one model.json lists, else the first the
    /// cloud lists for the model. Whatever the source, the file must hash to this id or it is refused.</summary>
    public string? CodebookId { get; set; }

    /// <summary>Folder of pulled codebooks (<c>{id}.avqcb</c>); default <c>{DataDirectory}/codebooks</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Pull the codebook from the cloud's Codebooks service when no local file has it.</summary>
    public bool PullMissing { get; set; } = true;

    /// <summary>rANS-code indices when that is smaller than bit packing.</summary>
    public bool EntropyCoding { get; set; } = true;

    /// <summary>Send the image as JPEG (Frame.fallback_jpeg) when the vision head or the codec cannot run.</summary>
    public bool AllowJpegFallback { get; set; } = true;

    /// <summary>Quality of fallback JPEGs made from non-JPEG inputs (JPEG inputs are sent as they are).</summary>
    [Range(1, 100)]
    public int JpegQuality { get; set; } = 90;
}
