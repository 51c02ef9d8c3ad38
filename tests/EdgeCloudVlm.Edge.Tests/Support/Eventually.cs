namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>Polls a condition that background work makes true; the limit is a safety net, not an assertion on speed.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        DateTime deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(25);
        }
    }
}

/// <summary>File counts of folders a background service creates when it gets to it.</summary>
internal static class Files
{
    public static int Count(string folder, string pattern = "*") => Directory.Exists(folder) ? Directory.GetFiles(folder, pattern).Length : 0;
}
