using System.Diagnostics;
using System.Globalization;
using System.Net;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Embed;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Cli;
using ServerlessReco.Jobs.Search;
using ServerlessReco.Search;
using ServerlessReco.Storage;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// Search quality and speed. Quality: known-item queries built from the Online Retail catalogue (full titles,
/// 1-3 word fragments, and both with one edit in every word of 3+ letters) and the 16 fixture products' titles
/// in 8 languages, ranked by lexical, semantic and hybrid retrieval exactly as the endpoint ranks them
/// (<see cref="SearchIndex.Search"/>): MRR@10 and recall@10. Speed: cold start and the first search of the
/// handler process, then server-side latency of /api/search under closed-loop load.
/// </summary>
public static class SearchBenchmark
{
    /// <param name="QualityStore">A store already holding the Online Retail catalogue (e.g. dir:PATH after import-online-retail): quality only, no handler.</param>
    /// <param name="BaselineHandler">Another handler build (e.g. main's, without search) whose cold start is measured in turn with this one's.</param>
    public sealed record Options(string HandlerCommand, string EncoderDirectory, string FixturesDirectory, int Queries, int[] ConcurrencyLevels, TimeSpan Duration, int ColdStarts, string? QualityStore = null, string? BaselineHandler = null);

    private const int K = 10;
    /// <summary>What the endpoint hands fusion for count=10 (SearchEndpoints: max(4 x count, 50)).</summary>
    private const int Pool = 50;
    private const string Prefix = "benchretail";

    public static async Task<int> RunAsync(string connectionString, Options options, TextWriter output, CancellationToken ct)
    {
        var store = options.QualityStore is { } spec ? DataStore.Open(spec, null, "") : DataStore.FromConnectionString(connectionString, Prefix);
        if (options.QualityStore is null) await ServeBenchmark.EnsureModelAsync(store, "online-retail", output, ct).ConfigureAwait(false);
        using var encoder = TextEncoder.Load(options.EncoderDirectory);
        var indexes = new SearchIndexStore(store.Blobs);
        var current = await indexes.ReadCurrentAsync(ct).ConfigureAwait(false);
        if (current is null || (await indexes.LoadAsync(current, ct).ConfigureAwait(false)).Manifest.Encoder != encoder.Identity)
        {
            output.WriteLine("building the Online Retail search index in azurite (once; later runs reuse it)...");
            JobConsole.Render(await BuildSearchIndexJob.RunAsync(store, options.EncoderDirectory, 32, JobConsole.Progress, ct).ConfigureAwait(false));
            current = await indexes.ReadCurrentAsync(ct).ConfigureAwait(false);
        }
        using var index = SearchIndex.Open(await indexes.LoadAsync(current!, ct).ConfigureAwait(false));
        output.WriteLine($"encoder {encoder.Identity}; index {index.Version}: {index.ItemIds.Length:N0} items");

        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);
        var titles = index.ItemIds.Select(id => catalog.TryGetValue(id, out var item) ? item.Title : "").ToArray();
        var sets = KnownItemQueries(titles, options.Queries, new Random(42));
        output.WriteLine($"Online Retail known-item queries ({options.Queries} target items, seed 42; relevant: every item whose title holds the clean query's words in order)");
        output.WriteLine("queries | n | lexical MRR@10 | lexical R@10 | semantic MRR@10 | semantic R@10 | hybrid MRR@10 | hybrid R@10");
        foreach (var (name, queries) in sets)
            output.WriteLine(Row(name, Measure(index, encoder, queries)));

        output.WriteLine("fixture catalogue (tests/fixtures/catalog-multilingual.tsv), one query per title, relevant: its product");
        output.WriteLine("catalogue | queries | n | lexical MRR@10 | lexical R@10 | semantic MRR@10 | semantic R@10 | hybrid MRR@10 | hybrid R@10");
        var fixture = FixtureTitles(Path.Combine(options.FixturesDirectory, "catalog-multilingual.tsv"));
        foreach (var (name, translated, queryLanguages) in new[] { ("with translations", true, "all 8 languages"), ("English only", false, "7 other languages") })
        {
            var items = fixture.GroupBy(t => t.Id).Select(g => new CatalogItem
            {
                Id = g.Key,
                Title = g.Single(t => t.Language == "en").Title,
                Titles = translated ? g.Where(t => t.Language != "en").ToDictionary(t => t.Language, t => t.Title) : null,
            }).ToList();
            var embedded = ItemTextEmbeddings.Embed(items, encoder, 32);
            using var small = SearchIndex.Open(SearchIndex.Build(items, "fixture", DateTimeOffset.UtcNow, embedded.Embeddings, encoder.Identity, encoder.Dimension));
            var queries = fixture.Where(t => translated || t.Language != "en").Select(t => new Query(t.Title, [small.ItemIds.IndexOf(t.Id)])).ToList();
            output.WriteLine(Row($"{name} | {queryLanguages}", Measure(small, encoder, queries)));
        }

        if (options.QualityStore is null)
            await LatencyAsync(connectionString, options, sets.Single(s => s.Name == "fragments + typos").Queries, output, ct).ConfigureAwait(false);
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average {LoadAverage()}");
        return 0;
    }

    private sealed record Query(string Text, int[] Relevant);

    private sealed record Scores(int Count, double[] Mrr, double[] Recall);

    private static string Row(string name, Scores s) => string.Create(CultureInfo.InvariantCulture,
        $"{name} | {s.Count} | {s.Mrr[0]:F3} | {s.Recall[0]:F3} | {s.Mrr[1]:F3} | {s.Recall[1]:F3} | {s.Mrr[2]:F3} | {s.Recall[2]:F3}");

    /// <summary>MRR@10 and recall@10 (over min(relevant, 10)) of lexical, semantic and hybrid retrieval.</summary>
    private static Scores Measure(SearchIndex index, TextEncoder encoder, IReadOnlyList<Query> queries)
    {
        var vectors = encoder.Embed([.. queries.Select(q => index.Corrected(q.Text))], 32);
        int d = encoder.Dimension;
        var mrr = new double[3];
        var recall = new double[3];
        for (int i = 0; i < queries.Count; i++)
        {
            var q = queries[i];
            var vector = vectors.AsSpan(i * d, d);
            int[][] lists =
            [
                index.Lexical(q.Text, K).Rows,
                index.Semantic(vector, K).Rows,
                [.. index.Search(q.Text, vector, Pool).Rows.Take(K)],
            ];
            var relevant = q.Relevant.ToHashSet();
            for (int m = 0; m < 3; m++)
            {
                int first = Array.FindIndex(lists[m], relevant.Contains);
                mrr[m] += first < 0 ? 0 : 1.0 / (first + 1);
                recall[m] += lists[m].Count(relevant.Contains) / (double)Math.Min(relevant.Count, K);
            }
        }
        return new Scores(queries.Count, [.. mrr.Select(v => v / queries.Count)], [.. recall.Select(v => v / queries.Count)]);
    }

    /// <summary>Full titles and 1-3 word fragments of seeded target items, each also with one edit in every word of 3+ letters.</summary>
    private static List<(string Name, List<Query> Queries)> KnownItemQueries(string[] titles, int count, Random random)
    {
        var words = titles.Select(t => t.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var candidates = Enumerable.Range(0, titles.Length).Where(i => words[i].Any(w => w.Count(char.IsLetter) >= 3)).ToArray();
        random.Shuffle(candidates);
        var targets = candidates.Take(count).ToArray();
        List<Query> full = [], fragments = [], fullTypos = [], fragmentTypos = [];
        foreach (int target in targets)
        {
            var title = words[target];
            string[] fragment;
            do
            {
                int length = Math.Min(random.Next(1, 4), title.Length);
                int start = random.Next(0, title.Length - length + 1);
                fragment = title[start..(start + length)];
            }
            while (!fragment.Any(w => w.Count(char.IsLetter) >= 3));
            var titleRelevant = Containing(words, title);
            var fragmentRelevant = Containing(words, fragment);
            full.Add(new Query(string.Join(' ', title), titleRelevant));
            fragments.Add(new Query(string.Join(' ', fragment), fragmentRelevant));
            fullTypos.Add(new Query(string.Join(' ', title.Select(w => Typo(w, random))), titleRelevant));
            fragmentTypos.Add(new Query(string.Join(' ', fragment.Select(w => Typo(w, random))), fragmentRelevant));
        }
        return [("full titles", full), ("fragments (1-3 words)", fragments), ("full titles + typos", fullTypos), ("fragments + typos", fragmentTypos)];
    }

    /// <summary>Items whose title holds <paramref name="phrase"/> as consecutive words.</summary>
    private static int[] Containing(string[][] titles, string[] phrase) =>
        [.. Enumerable.Range(0, titles.Length).Where(i => Enumerable.Range(0, Math.Max(0, titles[i].Length - phrase.Length + 1))
            .Any(s => titles[i].AsSpan(s, phrase.Length).SequenceEqual(phrase)))];

    /// <summary>One edit (substitution, deletion, insertion or swap of neighbours) in a word of 3+ letters.</summary>
    private static string Typo(string word, Random random)
    {
        if (word.Count(char.IsLetter) < 3) return word;
        while (true)
        {
            int at = random.Next(word.Length);
            char letter = (char)('a' + random.Next(26));
            string typo = random.Next(4) switch
            {
                0 => word[..at] + letter + word[(at + 1)..],
                1 => word.Remove(at, 1),
                2 => word.Insert(at, letter.ToString()),
                _ => at + 1 < word.Length ? word[..at] + word[at + 1] + word[at] + word[(at + 2)..] : word,
            };
            if (typo != word) return typo;
        }
    }

    private static List<(string Id, string Language, string Title)> FixtureTitles(string path) =>
        [.. File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(c => (c[0], c[2], c[3]))];

    private static int IndexOf(this string[] ids, string id) => Array.IndexOf(ids, id);

    private static async Task LatencyAsync(string connectionString, Options options, List<Query> queries, TextWriter output, CancellationToken ct)
    {
        var settings = new Dictionary<string, string> { [TextEncoder.DirectoryVariable] = Path.GetFullPath(options.EncoderDirectory) };
        var cold = new List<double>();
        var baseline = new List<double>();
        var firstSearch = new List<double>();
        for (int i = 0; i < options.ColdStarts; i++)
        {
            // Alternated with this build's starts, so both see the same machine load.
            if (options.BaselineHandler is { } other)
            {
                await using var before = await HandlerProcess.StartAsync(other, connectionString, Prefix, ct).ConfigureAwait(false);
                baseline.Add(await before.MillisecondsToFirstRecommendationAsync("/api/popular?market=GB&count=10", "", ct).ConfigureAwait(false));
            }
            await using var handler = await HandlerProcess.StartAsync(options.HandlerCommand, connectionString, Prefix, ct, settings).ConfigureAwait(false);
            cold.Add(await handler.MillisecondsToFirstRecommendationAsync("/api/popular?market=GB&count=10", "", ct).ConfigureAwait(false));
            long start = Stopwatch.GetTimestamp();
            await handler.MillisecondsToFirstRecommendationAsync($"/api/search?q={Uri.EscapeDataString(queries[i].Text)}&market=GB&count=10", "", ct).ConfigureAwait(false);
            firstSearch.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        if (baseline.Count > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"baseline cold start (process start -> first 200 of /api/popular): median {ServeBenchmark.Median(baseline):F0} ms, min {baseline.Min():F0}, max {baseline.Max():F0} ({options.BaselineHandler}); this build: min {cold.Min():F0}, max {cold.Max():F0}"));
        if (cold.Count > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cold start (process start -> first 200 of /api/popular): median {ServeBenchmark.Median(cold):F0} ms over {cold.Count} starts; the first search after it (loads index + encoder): median {ServeBenchmark.Median(firstSearch):F0} ms, max {firstSearch.Max():F0} ms ({options.HandlerCommand})"));

        await using (var handler = await HandlerProcess.StartAsync(options.HandlerCommand, connectionString, Prefix, ct, settings).ConfigureAwait(false))
        {
            await handler.MillisecondsToFirstRecommendationAsync($"/api/search?q=heart&market=GB&count=10", "", ct).ConfigureAwait(false);
            // What this handler build answers (JIT or Native AOT): semantic retrieval on, and where results came from.
            using (var example = System.Text.Json.JsonDocument.Parse(await handler.Client.GetStringAsync("/api/search?q=hangng%20heart%20holdr&market=GB&count=5", ct).ConfigureAwait(false)))
            {
                var root = example.RootElement;
                output.WriteLine($"example GET /api/search?q=hangng heart holdr&market=GB&count=5: semantic {root.GetProperty("semantic").GetBoolean()}, "
                    + string.Join("; ", root.GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("title").GetProperty("text").GetString()} ({i.GetProperty("matched").GetString()})")));
            }
            var requests = queries.Select(q => LoopbackHttpConnection.Get(handler.Address, $"/api/search?q={Uri.EscapeDataString(q.Text)}&market=GB&count=10")).ToArray();
            await LoadAsync(handler.Address, requests, options.ConcurrencyLevels.Max(), TimeSpan.FromSeconds(3), null, ct).ConfigureAwait(false);
            output.WriteLine("clients | requests/s | server p50 ms | server p99 ms | client p50 ms | client p99 ms | handler us/req | ok | failed");
            foreach (int clients in options.ConcurrencyLevels)
            {
                var server = new List<double>();
                var client = new List<double>();
                var cpuBefore = handler.Cpu;
                var clock = Stopwatch.StartNew();
                var (ok, failed) = await LoadAsync(handler.Address, requests, clients, options.Duration, (server, client), ct).ConfigureAwait(false);
                double seconds = clock.Elapsed.TotalSeconds;
                var cpu = handler.Cpu - cpuBefore;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{clients,7} | {ok / seconds,10:F0} | {ServeBenchmark.Percentile(server, 0.5),13:F2} | {ServeBenchmark.Percentile(server, 0.99),13:F2} | {ServeBenchmark.Percentile(client, 0.5),13:F2} | {ServeBenchmark.Percentile(client, 0.99),13:F2} | {(ok > 0 ? (cpu.TotalMicroseconds / ok).ToString("F0", CultureInfo.InvariantCulture) : "?"),14} | {ok:N0} | {failed:N0}"));
            }
            output.WriteLine($"queries: the fragments + typos set, market GB, count 10; each level runs {options.Duration.TotalSeconds:F0} s, closed loop; server = the handler's Server-Timing (query embedding included)");
        }
    }

    private static async Task<(long Ok, long Failed)> LoadAsync(Uri address, byte[][] requests, int clients, TimeSpan duration, (List<double> Server, List<double> Client)? result, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + duration;
        long ok = 0, failed = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async worker =>
        {
            var random = new Random(worker);
            using var connection = await LoopbackHttpConnection.OpenAsync(address, ct).ConfigureAwait(false);
            var server = new List<double>();
            var client = new List<double>();
            while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                var response = await connection.SendAsync(requests[random.Next(requests.Length)], ct).ConfigureAwait(false);
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.Status != (int)HttpStatusCode.OK) { Interlocked.Increment(ref failed); continue; }
                Interlocked.Increment(ref ok);
                client.Add(ms);
                if (response.ServerMilliseconds is { } s) server.Add(s);
            }
            if (result is { } r)
                lock (r.Server)
                {
                    r.Server.AddRange(server);
                    r.Client.AddRange(client);
                }
        })).ConfigureAwait(false);
        return (ok, failed);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
