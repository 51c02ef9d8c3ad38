using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;

namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>The fuzz subjects and generators, built once (training the tiny codebooks takes a moment).</summary>
public sealed class FuzzFixture
{
    public FuzzFixture()
    {
        Subjects = FuzzSubjects.Load(RepositoryLayout.DemoModel);
        Inputs = new FuzzInputs(Subjects);
    }

    public FuzzSubjects Subjects { get; }

    public FuzzInputs Inputs { get; }
}
