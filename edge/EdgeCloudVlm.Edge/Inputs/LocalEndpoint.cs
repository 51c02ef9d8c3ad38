using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace EdgeCloudVlm.Edge.Inputs;

/// <summary>
/// The loopback HTTP endpoint for applications on the device:
/// <c>POST /v1/frames</c> with a multipart form (<c>image</c> file, <c>question</c>, optional <c>callback_url</c>)
/// or a raw image body (<c>?question=...&amp;callback_url=...</c>). Without a callback it answers synchronously with
/// the result; with one it answers 202 once the frame is durably spooled and the result is POSTed there later. An
/// <c>Idempotency-Key</c> header becomes the frame id, so a client may retry safely. Also <c>GET /status</c> and
/// <c>GET /health/live</c>.
/// </summary>
public static class LocalEndpoint
{
    public static IEndpointRouteBuilder MapEdgeEndpoints(this IEndpointRouteBuilder app)
    {
        // Loopback only (enforced where Kestrel is configured): applications on the device need no credentials.
        RouteGroupBuilder group = app.MapGroup("");
        group.AllowAnonymous();
        group.MapPost("/v1/frames", SubmitAsync).DisableAntiforgery();
        group.MapGet("/status", (StatusReporter reporter) => HttpResults.Json(reporter.Snapshot(), ResultRecord.JsonOptions));
        group.MapGet("/health/live", () => HttpResults.Text("ok"));
        return app;
    }

    private static async Task<IResult> SubmitAsync(
        HttpRequest http,
        FramePipeline pipeline,
        ResultWaiters waiters,
        FrameSpool spool,
        IOptions<LocalEndpointOptions> options,
        IOptions<EdgeOptions> edge,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        byte[] image;
        string? question;
        string? callback;
        if (http.HasFormContentType)
        {
            IFormCollection form = await http.ReadFormAsync(cancellationToken);
            IFormFile? file = form.Files.GetFile("image") ?? (form.Files.Count > 0 ? form.Files[0] : null);
            if (file is null)
            {
                return Problem(StatusCodes.Status400BadRequest, "missing_image", "the form has no 'image' file");
            }

            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, cancellationToken);
            image = buffer.ToArray();
            question = form["question"];
            callback = form["callback_url"];
        }
        else
        {
            using var buffer = new MemoryStream();
            await http.Body.CopyToAsync(buffer, cancellationToken);
            image = buffer.ToArray();
            question = http.Query["question"];
            callback = http.Query["callback_url"];
        }

        if (image.Length == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "missing_image", "the request carries no image");
        }

        if (!string.IsNullOrEmpty(callback) && !(Uri.TryCreate(callback, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https"))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_callback_url", "callback_url must be an absolute http or https URL");
        }

        string frameId = http.Headers["Idempotency-Key"].ToString();
        if (string.IsNullOrWhiteSpace(frameId))
        {
            frameId = "http-" + Guid.CreateVersion7().ToString("N");
        }
        else if (frameId.Length > 128)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "Idempotency-Key is limited to 128 characters");
        }

        bool synchronous = string.IsNullOrEmpty(callback);
        Task<ResultRecord>? answer = synchronous ? waiters.Register(frameId) : null;
        try
        {
            var request = new CaptureRequest
            {
                FrameId = frameId,
                Image = image,
                Question = string.IsNullOrWhiteSpace(question) ? edge.Value.DefaultQuestion : question.Trim(),
                Source = "http",
                CallbackUrl = callback ?? "",
                CapturedAt = time.GetUtcNow(),
            };
            IntakeResult intake = await pipeline.SubmitAsync(request, cancellationToken);
            switch (intake.Status)
            {
                case IntakeStatus.Rejected:
                    return Problem(StatusCodes.Status400BadRequest, "invalid_image", intake.Reason ?? "the image was rejected");
                case IntakeStatus.Refused:
                    http.HttpContext.Response.Headers.RetryAfter = "10";
                    return Problem(StatusCodes.Status507InsufficientStorage, "not_accepted", intake.Reason ?? "the frame cannot be taken now");
                case IntakeStatus.Duplicate when !(synchronous && spool.IsPending(frameId)):
                    return Problem(StatusCodes.Status409Conflict, "duplicate_frame", $"frame {frameId} was already taken in; its result went to the configured sinks");
                default:
                    break;
            }

            if (answer is null)
            {
                return HttpResults.Json(new { frame_id = frameId, status = "accepted" }, statusCode: StatusCodes.Status202Accepted);
            }

            try
            {
                ResultRecord result = await answer.WaitAsync(options.Value.SyncTimeout, time, cancellationToken);
                return HttpResults.Json(result, ResultRecord.JsonOptions);
            }
            catch (TimeoutException)
            {
                return HttpResults.Json(
                    new { frame_id = frameId, status = "pending", detail = "no answer yet (the link may be down); the result will reach the configured sinks" },
                    statusCode: StatusCodes.Status202Accepted);
            }
        }
        finally
        {
            if (answer is { IsCompleted: false })
            {
                waiters.Forget(frameId);
            }
        }
    }

    private static IResult Problem(int status, string code, string message) =>
        HttpResults.Json(new { error = new { code, message } }, statusCode: status);
}
