using System.Diagnostics;
using System.Globalization;
using Azure;
using ServerlessReco.Embed;
using ServerlessReco.Evaluate;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Translate;
using ServerlessReco.Translate;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// Items/s of item embedding at batch sizes 1, 16 and 64 for each encoder folder given, the cross-lingual top-1
/// match rate on the parallel catalogue (meaningful only for a real model), and the per-item cost of translation
/// through the cache, miss against hit, with the tests' loopback Translator stand-in and the store's table service.
/// </summary>
public static class EmbedBenchmark
{
    private static readonly int[] BatchSizes = [1, 16, 64];
    private static readonly string[] TargetLanguages = ["de", "fr"];

    public static async Task<int> RunAsync(DataStore store, IReadOnlyList<string> encoders, string catalogueTsv, int texts, int translationItems, TextWriter output, CancellationToken ct)
    {
        var rows = File.ReadLines(catalogueTsv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToList();
        var titles = rows.Select(r => r[3]).ToList();
        var groups = rows.Select(r => r[0]).ToList();
        // The 128 parallel titles repeated to the requested count: real titles, in 8 languages and 4 scripts.
        var workload = Enumerable.Range(0, texts).Select(i => titles[i % titles.Count]).ToList();
        output.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}"));
        output.WriteLine(Invariant($"embedding: {texts} titles from {Path.GetFileName(catalogueTsv)} per measurement, after a warm-up call"));

        foreach (var folder in encoders)
        {
            if (!File.Exists(Path.Combine(folder, TextEncoder.ModelFileName)))
            {
                output.WriteLine($"  {folder}: no {TextEncoder.ModelFileName}, skipped");
                continue;
            }
            var clock = Stopwatch.StartNew();
            using var encoder = TextEncoder.Load(folder);
            output.WriteLine(Invariant($"  {folder}: dimension {encoder.Dimension}, {encoder.Identity}, loaded in {clock.Elapsed.TotalSeconds:F2} s"));
            encoder.Embed(workload.Take(16).ToList(), 16);
            foreach (int batchSize in BatchSizes)
            {
                ct.ThrowIfCancellationRequested();
                clock.Restart();
                encoder.Embed(workload, batchSize);
                double seconds = clock.Elapsed.TotalSeconds;
                output.WriteLine(Invariant($"    batch {batchSize,2}: {texts / seconds,8:F1} items/s ({seconds * 1000 / texts:F2} ms/item)"));
            }
            double rate = CrossLingualMatch.Top1Rate(encoder.Embed(titles), encoder.Dimension, groups);
            output.WriteLine(Invariant($"    cross-lingual top-1 match rate on {titles.Count} parallel titles: {rate:P1} (chance is about 6%; a real multilingual model should be near 100%; random weights still line up titles that share tokens such as numbers and names)"));
        }

        await TranslationCachingAsync(store, translationItems, output, ct).ConfigureAwait(false);
        return 0;
    }

    private static async Task TranslationCachingAsync(DataStore store, int items, TextWriter output, CancellationToken ct)
    {
        await using var translator = await FakeTranslatorServer.StartAsync().ConfigureAwait(false);
        var table = store.Table("bench" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var client = new TranslatorClient(TranslatorClient.GlobalEndpoint, new AzureKeyCredential(FakeTranslatorServer.Key), translator.CreateOptions());
            var cache = new TranslationCache(table);
            var texts = Enumerable.Range(0, items).Select(i => $"Bench product {i}: hand-made ceramic mug, 350 ml").ToList();
            // Warms the connection pools and creates the table, so neither is billed to the misses.
            await new CachedTranslator(client, cache).TranslateAsync(["warm-up"], TargetLanguages, "en", ct).ConfigureAwait(false);
            int requestsBefore = translator.Requests.Count;

            var misses = new CachedTranslator(client, cache);
            var clock = Stopwatch.StartNew();
            await misses.TranslateAsync(texts, TargetLanguages, "en", ct).ConfigureAwait(false);
            double missSeconds = clock.Elapsed.TotalSeconds;
            int missRequests = translator.Requests.Count - requestsBefore;

            var hits = new CachedTranslator(client, cache);
            clock.Restart();
            await hits.TranslateAsync(texts, TargetLanguages, "en", ct).ConfigureAwait(false);
            double hitSeconds = clock.Elapsed.TotalSeconds;

            output.WriteLine(Invariant($"translation cache: {items} titles into {string.Join(", ", TargetLanguages)} via CachedTranslator, loopback Translator stand-in, cache table on {store.Description}"));
            output.WriteLine(Invariant($"  all misses: {missSeconds:F2} s, {missSeconds * 1000 / items:F2} ms/item ({misses.Misses} (text, language) pairs, {missRequests} translate requests)"));
            output.WriteLine(Invariant($"  all hits:   {hitSeconds:F2} s, {hitSeconds * 1000 / items:F2} ms/item ({hits.Hits} (text, language) pairs, {translator.Requests.Count - requestsBefore - missRequests} translate requests)"));
        }
        finally
        {
            await table.DeleteAsync(ct).ConfigureAwait(false);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
