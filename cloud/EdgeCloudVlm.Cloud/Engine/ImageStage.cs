using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>How a request's image prefix was found on arrival.</summary>
internal enum PrefixLookup
{
    /// <summary>Cached: the sequence holds a reference to the entry.</summary>
    Cached,

    /// <summary>Another request's image pass for the same content is under way; the sequence waits for it.</summary>
    Joined,

    /// <summary>Nobody computes it yet: the caller prepares the image and submits the pass.</summary>
    Created,
}

/// <summary>
/// Computes image prefixes beside the decode loop, on worker threads of their own: vision parts, then (when the
/// template puts the image first) the prefill of the prompt up to and including the image rows, whose KV cache every
/// question about the image reuses. Requests for an image already in flight wait for that one pass. Finished
/// prefixes go into the <see cref="ImagePrefixCache"/> and their requests on to the scheduler.
/// </summary>
internal sealed partial class ImageStage : IDisposable
{
    private readonly VlmModel _model;
    private readonly VlmPipeline _pipeline;
    private readonly PrefillRunner _prefill;
    private readonly ImagePrefixCache _cache;
    private readonly int _prefixLength;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _modelId;
    private readonly Action<EngineSequence> _ready;
    private readonly Action<EngineSequence, Exception> _failed;
    private readonly Dictionary<string, ImageJob> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly BlockingCollection<ImageJob> _jobs = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _workers;

    public ImageStage(
        VlmModel model,
        PrefillRunner prefill,
        ImagePrefixCache cache,
        int prefixLength,
        int workers,
        TimeProvider time,
        ILogger logger,
        string modelId,
        Action<EngineSequence> ready,
        Action<EngineSequence, Exception> failed)
    {
        _model = model;
        _pipeline = new VlmPipeline(model, time);
        _prefill = prefill;
        _cache = cache;
        _prefixLength = prefixLength;
        _time = time;
        _logger = logger;
        _modelId = modelId;
        _ready = ready;
        _failed = failed;
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"engine images {modelId} #{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Finds <paramref name="sequence"/>'s prefix in the cache, or attaches it to the pass under way for its
    /// image, or registers a new pass that the caller must <see cref="Submit"/> (or <see cref="Abandon"/>).</summary>
    public PrefixLookup Resolve(EngineSequence sequence)
    {
        lock (_lock)
        {
            if (_cache.Acquire(sequence.ContentKey) is { } entry)
            {
                sequence.Prefix = entry;
                return PrefixLookup.Cached;
            }

            if (_inFlight.TryGetValue(sequence.ContentKey, out ImageJob? job))
            {
                job.Waiters.Add(sequence);
                return PrefixLookup.Joined;
            }

            _inFlight[sequence.ContentKey] = new ImageJob(sequence);
            return PrefixLookup.Created;
        }
    }

    /// <summary>Queues the pass registered for <paramref name="creator"/>, handing over its preprocessed (pooled)
    /// <paramref name="pixels"/> when the image came encoded.</summary>
    public void Submit(EngineSequence creator, float[]? pixels)
    {
        ImageJob job;
        lock (_lock)
        {
            job = _inFlight[creator.ContentKey];
        }

        job.Pixels = pixels;
        try
        {
            _jobs.Add(job);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            Complete(job, null, new ObjectDisposedException(nameof(GenerationEngine), $"the generation engine for model '{_modelId}' stopped"));
        }
    }

    /// <summary>Drops the pass registered for <paramref name="creator"/>, which could not prepare its image; requests
    /// that joined it end with <paramref name="failure"/> (they carry the same content).</summary>
    public void Abandon(EngineSequence creator, Exception failure)
    {
        ImageJob job;
        lock (_lock)
        {
            job = _inFlight[creator.ContentKey];
            job.Waiters.Remove(creator);
        }

        Complete(job, null, failure);
    }

    public void Dispose()
    {
        _jobs.CompleteAdding();
        _stop.Cancel();
        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        var failure = new ObjectDisposedException(nameof(GenerationEngine), $"the generation engine for model '{_modelId}' stopped");
        while (_jobs.TryTake(out ImageJob? job))
        {
            Complete(job, null, failure);
        }

        _jobs.Dispose();
        _stop.Dispose();
    }

    private void Work()
    {
        try
        {
            foreach (ImageJob job in _jobs.GetConsumingEnumerable(_stop.Token))
            {
                Process(job);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Process(ImageJob job)
    {
        EngineSequence creator = job.Creator;
        ImagePrefix? entry = null;
        try
        {
            float[] embeddings = Vision(job);
            if (_prefixLength == 0)
            {
                entry = ImagePrefix.FromEmbeddings(creator.ContentKey, embeddings, _model.VisionCloud.EmbeddingsLength);
            }
            else
            {
                try
                {
                    entry = ImagePrefix.FromKv(creator.ContentKey, Prefill(creator, embeddings));
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(embeddings);
                }
            }
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            LogImageFailed(_logger, ex, _modelId);
            Complete(job, null, ex);
            return;
        }
        catch (Exception ex)
        {
            Complete(job, null, new ObjectDisposedException($"the generation engine for model '{_modelId}' stopped", ex));
            return;
        }

        if (_cache.Enabled)
        {
            _cache.Add(entry);
        }

        Complete(job, entry, null);
    }

    private float[] Vision(ImageJob job)
    {
        EngineSequence creator = job.Creator;
        using Activity? span = Spans.Start("vision", creator.Parent, _modelId);
        long start = _time.GetTimestamp();
        int length = _model.VisionCloud.EmbeddingsLength;
        float[] embeddings = ArrayPool<float>.Shared.Rent(length);
        try
        {
            VlmRequest request = job.Pixels is { } pixels
                ? VlmRequest.FromPixelValues(pixels.AsMemory(0, _model.Preprocessor.TensorLength), creator.Request.Question)
                : creator.Request.Image.ToRequest(creator.Request.Question);
            _pipeline.ComputeImageEmbeddings(request, embeddings.AsMemory(0, length), _stop.Token);
        }
        catch (Exception ex)
        {
            ArrayPool<float>.Shared.Return(embeddings);
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }

        creator.Vision += _time.GetElapsedTime(start);
        return embeddings;
    }

    private KvCache Prefill(EngineSequence creator, float[] embeddings)
    {
        using Activity? span = Spans.Start("prefill", creator.Parent, _modelId);
        span?.SetTag("edgecloudvlm.prefill.part", "image_prefix");
        long start = _time.GetTimestamp();
        KvCache kv = _prefill.RunPrefix(creator.Prompt, embeddings, _stop.Token);
        creator.Prefill += _time.GetElapsedTime(start);
        return kv;
    }

    /// <summary>Hands <paramref name="entry"/> to every request waiting for it, or ends them with <paramref name="failure"/>.</summary>
    private void Complete(ImageJob job, ImagePrefix? entry, Exception? failure)
    {
        if (job.Pixels is { } pixels)
        {
            job.Pixels = null;
            ArrayPool<float>.Shared.Return(pixels);
        }

        EngineSequence[] waiters;
        lock (_lock)
        {
            _inFlight.Remove(job.Creator.ContentKey);
            waiters = [.. job.Waiters];
        }

        foreach (EngineSequence waiter in waiters)
        {
            if (entry is null)
            {
                _failed(waiter, failure!);
                continue;
            }

            if (waiter.IsDone)
            {
                continue;
            }

            entry.AddReference();
            waiter.Prefix = entry;
            _ready(waiter);
        }

        entry?.Release();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine for {Model}: an image pass failed; its requests end with the error")]
    private static partial void LogImageFailed(ILogger logger, Exception exception, string model);

    /// <summary>One image's pass and the requests waiting for it (the creator first).</summary>
    private sealed class ImageJob(EngineSequence creator)
    {
        public EngineSequence Creator { get; } = creator;

        public List<EngineSequence> Waiters { get; } = [creator];

        /// <summary>The creator's preprocessed image (pooled), owned by the job until it completes.</summary>
        public float[]? Pixels { get; set; }
    }
}

/// <summary>Engine spans: nothing is allocated while no listener samples the source.</summary>
internal static class Spans
{
    public static Activity? Start(string name, ActivityContext parent, string modelId)
    {
        if (!CloudTelemetry.ActivitySource.HasListeners())
        {
            return null;
        }

        Activity? activity = CloudTelemetry.ActivitySource.StartActivity(name, ActivityKind.Internal, parent);
        activity?.SetTag(CloudTelemetry.ModelTag, modelId);
        return activity;
    }
}
