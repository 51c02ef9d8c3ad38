using EdgeCloudVlm.ServiceDefaults.Health;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Health;

public sealed class ReadinessGateTests
{
    [Fact]
    public void IsReady_NothingDeclared_True()
    {
        Assert.True(new ReadinessGate([]).IsReady);
    }

    [Fact]
    public void IsReady_DeclaredComponentNotReported_False()
    {
        var gate = new ReadinessGate([new ReadinessComponent("models")]);

        var snapshot = gate.GetSnapshot();

        Assert.False(gate.IsReady);
        Assert.Equal("not reported yet", Assert.Single(snapshot.Components).Reason);
    }

    [Fact]
    public void MarkNotReady_UndeclaredComponent_AddsIt()
    {
        var gate = new ReadinessGate([]);

        gate.MarkNotReady("warm-up", "compiling kernels");

        Assert.False(gate.IsReady);
        gate.MarkReady("warm-up");
        Assert.True(gate.IsReady);
    }

    [Fact]
    public void MarkStopping_AllReady_NotReadyForGood()
    {
        var gate = new ReadinessGate([new ReadinessComponent("models")]);
        gate.MarkReady("models");

        gate.MarkStopping();
        gate.MarkReady("models");

        Assert.False(gate.IsReady);
        Assert.True(gate.GetSnapshot().Stopping);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void MarkReady_BlankName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => new ReadinessGate([]).MarkReady(name));
    }
}
