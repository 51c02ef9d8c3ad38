using System.Text.Json;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Inference.Tests.Evaluation;

[Collection(DemoModelCollection.Name)]
public sealed class EvalRunnerTests(DemoModelFixture fixture, ITestOutputHelper output)
{
    private const int SampleSize = 40;

    [Fact]
    public void Load_DemoEvalSet_ReadsAllRecords()
    {
        EvalSet set = EvalSet.Load(ModelFolder.Path);

        Assert.True(set.Items.Count >= SampleSize);
        EvalItem first = set.Items[0];
        Assert.StartsWith("eval/images/", first.Image, StringComparison.Ordinal);
        Assert.True(File.Exists(set.ImagePath(first)));
        Assert.False(string.IsNullOrEmpty(first.Answer));
        Assert.Equal(SampleSize, set.Take(SampleSize).Items.Count);
    }

    [Fact]
    public void Load_MalformedLine_ReportsLine()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("eval"));
        File.WriteAllLines(folder.File("eval/eval.jsonl"), ["{\"image\": \"a.png\", \"question\": \"q\", \"answer\": \"a\", \"template\": \"t\"}", "{oops"]);

        var ex = Assert.Throws<InvalidDataException>(() => EvalSet.Load(folder.Path));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_FirstQuestions_AccuracyAtLeastSeventyFivePercent()
    {
        EvalSet set = EvalSet.Load(ModelFolder.Path).Take(SampleSize);

        EvalReport report = set.Evaluate(fixture.Model);

        output.WriteLine($"accuracy {report.Accuracy:P1} ({report.Correct}/{report.Total}); " +
                         string.Join(", ", report.PerTemplate.Select(t => $"{t.Key} {t.Value.Correct}/{t.Value.Total}")));
        foreach (EvalMiss miss in report.Misses)
        {
            output.WriteLine($"miss: {miss.Item.Question} expected '{miss.Item.Answer}' got '{miss.Predicted}'");
        }

        Assert.Equal(SampleSize, report.Total);
        Assert.Equal(SampleSize, report.PerTemplate.Values.Sum(t => t.Total));
        Assert.Equal(report.Correct, report.PerTemplate.Values.Sum(t => t.Correct));
        // A floor under the shipped model (86% on the whole set in PyTorch) that catches a broken pipeline; the model's
        // own 95% goal is measured by the fidelity benchmark, and exact agreement with PyTorch by the test below.
        Assert.True(report.Accuracy >= 0.75, $"accuracy {report.Accuracy:P1}");
    }

    [Fact]
    public void Run_FirstQuestions_WrongAnswersMatchPyTorchReport()
    {
        // eval_report.json lists PyTorch's first 25 wrong answers in file order; within the sample they must be
        // exactly the C# misses, with the same predicted text.
        EvalSet all = EvalSet.Load(ModelFolder.Path);
        EvalSet set = all.Take(SampleSize);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFolder.Path, "eval_report.json")));
        var sampleKeys = set.Items.Select(i => (i.Image, i.Question)).ToHashSet();
        var pythonWrong = report.RootElement.GetProperty("wrong_examples").EnumerateArray()
            .Select(w => (Image: w.GetProperty("image").GetString()!, Question: w.GetProperty("question").GetString()!,
                Predicted: w.GetProperty("predicted").GetString()!))
            .ToList();
        int listed = pythonWrong.Count;
        pythonWrong = pythonWrong.Where(w => sampleKeys.Contains((w.Image, w.Question))).ToList();
        Assert.True(listed < 25 || pythonWrong.Count < listed, "the report's list of wrong answers ends inside the sample");

        EvalReport csharp = new EvalRunner(fixture.Model).Run(set);

        Assert.Equal(
            pythonWrong.Select(w => $"{w.Image} | {w.Question} | {w.Predicted}"),
            csharp.Misses.Select(m => $"{m.Item.Image} | {m.Item.Question} | {m.Predicted}"));
    }

    [Fact]
    public void Run_TransformDestroysHiddenState_AccuracyDrops()
    {
        EvalSet set = EvalSet.Load(ModelFolder.Path).Take(12);
        var runner = new EvalRunner(fixture.Model);
        int calls = 0;

        EvalReport identity = runner.Run(set, (src, tokens, dim, dst) =>
        {
            Assert.Equal(tokens * dim, src.Length);
            calls++;
            src.CopyTo(dst);
        });
        EvalReport zeroed = runner.Run(set, (src, tokens, dim, dst) => dst.Clear());

        Assert.Equal(runner.Run(set).Correct, identity.Correct);
        Assert.Equal(set.Items.Select(i => i.Image).Distinct().Count(), calls);
        Assert.True(zeroed.Correct < identity.Correct, $"zeroed {zeroed.Correct} vs identity {identity.Correct}");
    }
}
