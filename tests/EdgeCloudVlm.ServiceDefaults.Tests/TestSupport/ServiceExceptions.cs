namespace EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

internal static class ServiceExceptions
{
    /// <summary>All messages of an exception and its inner or aggregated exceptions, for asserting on start failures.
    /// </summary>
    public static string AllMessages(Exception exception)
    {
        var messages = new List<string>();
        void Walk(Exception e)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Walk(inner);
                }
            }
            else if (e.InnerException is not null)
            {
                Walk(e.InnerException);
            }
        }

        Walk(exception);
        return string.Join(Environment.NewLine, messages);
    }
}
