using System.Text;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Inference.Tests.Generation;

public sealed class StopSequencesTests
{
    [Theory]
    [InlineData("red circle and blue", " and", 10)]
    [InlineData("red circle", " and", -1)]
    [InlineData("a b c", "c", 4)]
    public void IndexOf_FindsEarliestStop(string text, string stop, int expected)
    {
        Assert.Equal(expected, StopSequences.IndexOf(new StringBuilder(text), [stop]));
    }

    [Fact]
    public void IndexOf_SeveralStops_EarliestWins()
    {
        Assert.Equal(2, StopSequences.IndexOf(new StringBuilder("a b c d"), ["d", "b"]));
    }

    [Theory]
    [InlineData("red circle an", " and", 3)]
    [InlineData("red circle ", " and", 1)]
    [InlineData("red circle", " and", 0)]
    [InlineData("x", "", 0)]
    public void HeldBack_SuffixThatMayBecomeAStop(string text, string stop, int expected)
    {
        string[] stops = stop.Length == 0 ? [] : [stop];

        Assert.Equal(expected, StopSequences.HeldBack(new StringBuilder(text), stops));
    }
}
