using System.Buffers;
using System.Diagnostics;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>The scheduler loop: everything here runs on the engine's own thread.</summary>
public sealed partial class GenerationEngine
{
    private readonly PrefillRunner _prefill;
    private readonly DecodeBatch _batch;
    private readonly Queue<EngineSequence> _waiting = new();
    private readonly PrefillJob _inline = new();
    private Action<EngineSequence>? _onFinished;

    // Admitted sequences not yet merged into the batch; they hold KV-budget slots (see FreeSlots). Counted at
    // admission and at the merge, both on the scheduler thread.
    private int _prefilling;

    private void RunScheduler()
    {
        CancellationToken stop = _stop.Token;
        _onFinished = EndCompleted;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                _wake.Reset();
                Drain();
                JoinPrefilled();
                if (_waiting.Count > 0 && FreeSlots > 0)
                {
                    AdmitWaiting(stop);
                }

                RemoveAborted();
                if (_batch.Live > 0)
                {
                    _batch.Compact();
                    Step(stop);
                }
                else if (_waiting.Count == 0 || FreeSlots == 0)
                {
                    // Nothing to decode: wait for a request, or for a prefill worker to hand back what it took.
                    _wake.Wait(stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSchedulerFailed(_logger, ex, ModelId);
        }
        finally
        {
            StopAll();
        }
    }

    private void Drain()
    {
        while (_incoming.TryDequeue(out EngineSequence? sequence))
        {
            if (sequence.IsDone)
            {
                ReleasePrefix(sequence);
            }
            else
            {
                _waiting.Enqueue(sequence);
            }
        }
    }

    private void RemoveAborted()
    {
        for (int r = 0; r < _batch.Rows; r++)
        {
            if (_batch[r] is { } sequence && sequence.Abort != AbortReason.None)
            {
                _batch.Remove(r);
                EndWith(sequence, null);
            }
        }
    }

    /// <summary>Slots the KV budget still allows: sequences in the batch and those being prefilled hold theirs.</summary>
    private int FreeSlots => _budget.MaxSequences - _batch.Live - _prefilling;

    /// <summary>Admits waiting sequences while slots are free and has them prefilled: by the prefill workers, or here
    /// between decode steps when there are none.</summary>
    private void AdmitWaiting(CancellationToken stop)
    {
        PrefillJob job = _prefillWorkers.Length == 0 ? _inline : new PrefillJob();
        int capacity = FreeSlots;
        while (capacity > 0 && _waiting.TryDequeue(out EngineSequence? sequence))
        {
            if (!sequence.TryActivate())
            {
                ReleasePrefix(sequence);
                continue;
            }

            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _active);
            job.Sequences.Add(sequence);
            capacity--;
        }

        if (job.Sequences.Count == 0)
        {
            return;
        }

        _prefilling += job.Sequences.Count;
        if (_prefillWorkers.Length == 0)
        {
            Prefill(job, stop);
            Join(job);
        }
        else
        {
            _toPrefill.Enqueue(job);
            _prefillSignal.Release();
        }
    }

    /// <summary>Prefills a job's sequences that are still wanted (whole prompts, then tails on cached prefixes); the
    /// survivors end up in <see cref="PrefillJob.Joiners"/>.</summary>
    private void Prefill(PrefillJob job, CancellationToken stop)
    {
        var whole = new List<EngineSequence>();
        var tail = new List<EngineSequence>();
        foreach (EngineSequence sequence in job.Sequences)
        {
            if (sequence.Abort != AbortReason.None)
            {
                EndWith(sequence, null);
            }
            else
            {
                (sequence.Prefix!.Kv is null ? whole : tail).Add(sequence);
            }
        }

        RunGroups(whole, whole: true, job, stop);
        RunGroups(tail, whole: false, job, stop);
    }

    /// <summary>Merges a prefilled job into the running batch and gives its sequences' slots over to the batch.</summary>
    private void Join(PrefillJob job)
    {
        KvCache? adopted = _batch.Join(job.Joiners);
        foreach (BatchJoiner joiner in job.Joiners)
        {
            joiner.Sequence.DecodeActivity = StartSpan("decode", joiner.Sequence);
        }

        job.DisposePresents(except: adopted);
        _prefilling -= job.Sequences.Count;
        job.Clear();
    }

    private void JoinPrefilled()
    {
        while (_prefilled.TryDequeue(out PrefillJob? job))
        {
            Join(job);
        }
    }

    /// <summary>Prefills <paramref name="sequences"/> in groups of equal prompt length (no padding), samples each first
    /// token and lines the survivors up to join the batch.</summary>
    private void RunGroups(List<EngineSequence> sequences, bool whole, PrefillJob job, CancellationToken stop)
    {
        if (sequences.Count == 0)
        {
            return;
        }

        List<EngineSequence> ordered = [.. sequences.OrderBy(s => s.PromptLength)];
        int vocab = _model.Decoder.VocabSize;
        var group = new List<EngineSequence>();
        var prefixes = new List<ImagePrefix>();
        for (int i = 0; i < ordered.Count;)
        {
            group.Clear();
            prefixes.Clear();
            int length = ordered[i].PromptLength;
            while (i < ordered.Count && ordered[i].PromptLength == length)
            {
                group.Add(ordered[i]);
                prefixes.Add(ordered[i].Prefix!);
                i++;
            }

            RunGroup(group, prefixes, whole, vocab, job, stop);
        }
    }

    private void RunGroup(List<EngineSequence> group, List<ImagePrefix> prefixes, bool whole, int vocab, PrefillJob job, CancellationToken stop)
    {
        int n = group.Count;
        var spans = new Activity?[n];
        for (int r = 0; r < n; r++)
        {
            spans[r] = StartSpan("prefill", group[r]);
        }

        float[] last = ArrayPool<float>.Shared.Rent(n * vocab);
        try
        {
            long start = _time.GetTimestamp();
            KvCache present = whole
                ? _prefill.RunFull(group, prefixes, last, stop)
                : _prefill.RunTail(group, prefixes, last, stop);
            job.Presents.Add(present);
            long now = _time.GetTimestamp();
            TimeSpan elapsed = _time.GetElapsedTime(start, now);
            for (int r = 0; r < n; r++)
            {
                EngineSequence sequence = group[r];
                sequence.Prefix!.Release();
                sequence.Prefix = null;
                sequence.Prefill += elapsed;
                sequence.CacheLength = sequence.PromptLength;
                _metrics.PromptTokens(sequence.PromptLength);
                if (spans[r] is { } span)
                {
                    span.SetTag("edgecloudvlm.prefill.part", whole ? "prompt" : "after_image");
                    span.SetTag("edgecloudvlm.prefill.batch", n);
                    span.Dispose();
                }

                if (sequence.Abort != AbortReason.None)
                {
                    EndWith(sequence, null);
                }
                else if (sequence.Accept(last.AsSpan(r * vocab, vocab), now))
                {
                    job.Joiners.Add(new BatchJoiner(sequence, present, r));
                }
                else
                {
                    EndCompleted(sequence);
                }
            }
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            LogPrefillFailed(_logger, ex, ModelId, n);
            for (int r = 0; r < n; r++)
            {
                spans[r]?.SetStatus(ActivityStatusCode.Error, ex.Message);
                spans[r]?.Dispose();
                EndWith(group[r], ex);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(last);
        }
    }

    private void Step(CancellationToken stop)
    {
        _metrics.BatchSize(_batch.Live);
        try
        {
            _batch.Step(_onFinished!, stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            LogStepFailed(_logger, ex, ModelId, _batch.Live);
            for (int r = 0; r < _batch.Rows; r++)
            {
                if (_batch[r] is { } sequence)
                {
                    EndWith(sequence, ex);
                }
            }

            _batch.Reset();
        }
    }

    /// <summary>A sequence's answer is complete: metrics and span first, so both are recorded when the client sees the end.</summary>
    private void EndCompleted(EngineSequence sequence)
    {
        if (!sequence.TryEnd())
        {
            return;
        }

        long now = _time.GetTimestamp();
        ReleasePrefix(sequence);
        _metrics.Request(EngineMetrics.Outcomes.Completed);
        _metrics.OutputTokens(sequence.CompletionTokens);
        if (sequence.FirstTokenAt is long first)
        {
            _metrics.TimeToFirstToken(_time.GetElapsedTime(sequence.Arrival, first));
            if (sequence.CompletionTokens > 1)
            {
                _metrics.TimePerOutputToken(_time.GetElapsedTime(first, now) / (sequence.CompletionTokens - 1));
            }
        }

        if (sequence.DecodeActivity is { } span)
        {
            span.SetTag("edgecloudvlm.completion_tokens", sequence.CompletionTokens);
            span.Dispose();
            sequence.DecodeActivity = null;
        }

        double seconds = _time.GetElapsedTime(sequence.Arrival, now).TotalSeconds;
        Volatile.Write(ref _serviceSeconds, (0.9 * Volatile.Read(ref _serviceSeconds)) + (0.1 * seconds));
        Interlocked.Decrement(ref _active);
        sequence.Complete();
    }

    /// <summary>An admitted sequence ends early: with <paramref name="failure"/>, or as its abort reason says.</summary>
    private void EndWith(EngineSequence sequence, Exception? failure)
    {
        if (!sequence.TryEnd())
        {
            return;
        }

        ReleasePrefix(sequence);
        if (sequence.DecodeActivity is { } span)
        {
            span.SetStatus(ActivityStatusCode.Error, failure?.Message ?? sequence.Abort.ToString());
            span.Dispose();
            sequence.DecodeActivity = null;
        }

        _metrics.Request(failure is null ? Outcome(sequence.Abort) : EngineMetrics.Outcomes.Failed);
        Interlocked.Decrement(ref _active);
        sequence.Fail(failure);
    }

    private static void ReleasePrefix(EngineSequence sequence)
    {
        sequence.Prefix?.Release();
        sequence.Prefix = null;
    }

    /// <summary>Ends every request the engine still holds, queued or running, once the loop has stopped.</summary>
    private void StopAll()
    {
        Volatile.Write(ref _stopping, 1);
        StopPrefillWorkers();
        Drain();
        var all = new List<EngineSequence>(_waiting);
        _waiting.Clear();
        var jobs = new List<PrefillJob>(_toPrefill) { _inline };
        jobs.AddRange(_prefilled);
        _toPrefill.Clear();
        _prefilled.Clear();
        foreach (PrefillJob job in jobs)
        {
            all.AddRange(job.Sequences);
        }

        for (int r = 0; r < _batch.Rows; r++)
        {
            if (_batch[r] is { } sequence)
            {
                all.Add(sequence);
            }
        }

        foreach (EngineSequence sequence in all)
        {
            // Queued ones end inside Abort; admitted ones keep their first abort reason and end here.
            Abort(sequence, AbortReason.EngineStopped);
            if (!sequence.IsDone)
            {
                EndWith(sequence, null);
            }
        }

        foreach (PrefillJob job in jobs)
        {
            job.DisposePresents(except: null);
            job.Clear();
        }

        _batch.Reset();
    }

    private Activity? StartSpan(string name, EngineSequence sequence) => Spans.Start(name, sequence.Parent, ModelId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine for {Model}: prefill of {Count} sequences failed")]
    private static partial void LogPrefillFailed(ILogger logger, Exception exception, string model, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine for {Model}: decode step of {Count} sequences failed; they end with the error")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string model, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Engine for {Model}: scheduler failed; every request ends with an error")]
    private static partial void LogSchedulerFailed(ILogger logger, Exception exception, string model);
}
