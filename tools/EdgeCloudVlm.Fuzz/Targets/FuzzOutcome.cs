namespace EdgeCloudVlm.Fuzz.Targets;

/// <summary>What a target did with one input. A crash is not an outcome: it is any exception the target lets out.</summary>
public enum FuzzOutcome
{
    /// <summary>The input was valid and processed to the end.</summary>
    Accepted,

    /// <summary>The input was refused the documented way (a status value or the documented exception type).</summary>
    Rejected,
}

/// <summary>A broken promise found by a target: thrown so that every driver (CsCheck, AFL++, replay) sees a crash.</summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>One parser under test: takes arbitrary bytes, refuses them cleanly or accepts them, never throws otherwise.</summary>
public interface IFuzzTarget
{
    /// <summary>Short name used on the command line and in reports (<c>frame</c>, <c>codebook</c>, <c>image</c>).</summary>
    string Name { get; }

    /// <summary>Runs the parser on <paramref name="input"/>.</summary>
    /// <exception cref="FuzzInvariantException">The parser broke one of its promises.</exception>
    FuzzOutcome Run(ReadOnlySpan<byte> input);
}
