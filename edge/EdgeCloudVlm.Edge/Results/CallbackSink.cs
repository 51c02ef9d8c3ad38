using System.Net.Http.Headers;
using System.Text;
using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>POSTs result JSON to callback URLs with a few attempts; at least once, keyed by <c>Idempotency-Key</c>.</summary>
public sealed class CallbackSink(HttpClient http, IOptions<ResultsOptions> options, TimeProvider time, ILogger<CallbackSink> logger)
{
    public const string HttpClientName = "ecv-edge-callback";

    /// <returns>Whether the receiver accepted it (2xx) within the configured attempts.</returns>
    public async Task<bool> PostAsync(Uri url, string frameId, string json, CancellationToken cancellationToken)
    {
        ResultsOptions settings = options.Value;
        for (int attempt = 1; attempt <= settings.CallbackAttempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.CallbackTimeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                };
                request.Headers.Add("Idempotency-Key", frameId);
                using HttpResponseMessage response = await http.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                EdgeLog.CallbackStatus(logger, url, frameId, (int)response.StatusCode, attempt);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                EdgeLog.CallbackFailed(logger, url, frameId, attempt, ex.Message);
            }

            if (attempt < settings.CallbackAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << (attempt - 1))), time, cancellationToken);
            }
        }

        EdgeLog.CallbackGivenUp(logger, url, frameId, settings.CallbackAttempts);
        return false;
    }
}
