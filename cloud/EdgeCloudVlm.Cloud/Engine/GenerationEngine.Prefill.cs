using System.Collections.Concurrent;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// Prefill workers: they prefill the prompts the scheduler admitted (the tokens after a cached image prefix, or whole
/// prompts) while the scheduler goes on with decode steps, and hand the results back to be merged into the batch.
/// </summary>
public sealed partial class GenerationEngine
{
    private readonly ConcurrentQueue<PrefillJob> _toPrefill = new();
    private readonly ConcurrentQueue<PrefillJob> _prefilled = new();
    private readonly SemaphoreSlim _prefillSignal = new(0);
    private Thread[] _prefillWorkers = [];

    private void StartPrefillWorkers(int count)
    {
        _prefillWorkers = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            _prefillWorkers[i] = new Thread(RunPrefillWorker) { IsBackground = true, Name = $"engine prefill {ModelId} #{i}" };
            _prefillWorkers[i].Start();
        }
    }

    private void RunPrefillWorker()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (true)
            {
                _prefillSignal.Wait(stop);
                while (_toPrefill.TryDequeue(out PrefillJob? job))
                {
                    // Jobs queued while this worker was busy go together: one call per prompt length for all of them.
                    while (_toPrefill.TryDequeue(out PrefillJob? more))
                    {
                        job.Sequences.AddRange(more.Sequences);
                    }

                    try
                    {
                        Prefill(job, stop);
                    }
                    catch (Exception ex) when (!stop.IsCancellationRequested)
                    {
                        LogPrefillFailed(_logger, ex, ModelId, job.Sequences.Count);
                        foreach (EngineSequence sequence in job.Sequences)
                        {
                            EndWith(sequence, ex);
                        }
                    }
                    finally
                    {
                        // Handed back even when stopping, so that StopAll ends whatever the job still holds.
                        _prefilled.Enqueue(job);
                        _wake.Set();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the prefill workers (also when the scheduler itself failed) and waits until each has handed back
    /// the job it held.</summary>
    private void StopPrefillWorkers()
    {
        if (_prefillWorkers.Length == 0)
        {
            return;
        }

        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }

        foreach (Thread worker in _prefillWorkers)
        {
            worker.Join();
        }
    }

    /// <summary>Sequences admitted together, and what their prefill produced: the rows to merge into the batch and the
    /// present caches those rows live in.</summary>
    private sealed class PrefillJob
    {
        public List<EngineSequence> Sequences { get; } = [];

        public List<BatchJoiner> Joiners { get; } = [];

        public List<KvCache> Presents { get; } = [];

        /// <summary>Disposes the present caches, except the one the batch adopted as its own.</summary>
        public void DisposePresents(KvCache? except)
        {
            foreach (KvCache present in Presents)
            {
                if (!ReferenceEquals(present, except))
                {
                    present.Dispose();
                }
            }

            Presents.Clear();
        }

        public void Clear()
        {
            Sequences.Clear();
            Joiners.Clear();
            Presents.Clear();
        }
    }
}
