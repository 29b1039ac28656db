using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using ServerlessReco.Domain;
using ServerlessReco.Jobs;
using ServerlessReco.Storage;
using ServerlessReco.Tests;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// Mixed load against the handler process for a long while, with two storage outages played by the fault proxy:
/// recommendations, event batches and catalogue patches side by side. What it must show: no event acknowledged and
/// then missing (acknowledged = stored in the events table and the event log), and the handler's memory at the end.
/// </summary>
public static class SoakBenchmark
{
    public sealed record Options(string HandlerCommand, TimeSpan Duration, TimeSpan Outage);

    private const int EventsPerBatch = 20;
    private const int SoakUsers = 64;

    public static async Task<int> RunAsync(string connectionString, Options options, TextWriter output, CancellationToken ct)
    {
        const string prefix = "benchretail";
        var store = DataStore.FromConnectionString(connectionString, prefix);
        var model = await ServeBenchmark.EnsureModelAsync(store, "online-retail", output, ct).ConfigureAwait(false);
        var shoppers = ServeBenchmark.RetailUsers(model);
        await using var proxy = FaultyStorage.Start(connectionString);
        await using var handler = await HandlerProcess.StartAsync(options.HandlerCommand, proxy.ConnectionString, prefix, ct).ConfigureAwait(false);
        var (firstUser, firstMarket) = shoppers[0];
        await handler.MillisecondsToFirstRecommendationAsync($"/api/recommendations/{firstUser}?market={firstMarket}", ServeBenchmark.Authorization(firstUser), ct).ConfigureAwait(false);
        long rssStart = handler.ResidentBytes;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {options.Duration.TotalMinutes:F1} min of recommendations (2 clients), event batches of {EventsPerBatch} (1 client), catalogue patches (1 client); two storage outages of {options.Outage.TotalSeconds:F0} s at 1/3 and 2/3"));

        var run = Guid.NewGuid().ToString("N")[..8];
        var statuses = new ConcurrentDictionary<string, long>();
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var started = DateTime.UtcNow;
        var deadline = started + options.Duration;
        void Count(string kind, HttpStatusCode status) => statuses.AddOrUpdate($"{kind} {(int)status}", 1, (_, n) => n + 1);

        async Task RecommendAsync(int worker)
        {
            var random = new Random(worker);
            while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                var (user, market) = shoppers[random.Next(shoppers.Count)];
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/recommendations/{user}?market={market}&count=20");
                request.Headers.TryAddWithoutValidation("Authorization", ServeBenchmark.Authorization(user));
                using var response = await handler.Client.SendAsync(request, ct).ConfigureAwait(false);
                Count("recommendations", response.StatusCode);
            }
        }

        async Task IngestAsync()
        {
            int batch = 0;
            string? pending = null;
            while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                // A storefront resends a refused batch as it was: same ids and times, so what a failed flush stored
                // comes back as duplicates and is acknowledged then.
                pending ??= new JsonArray(Enumerable.Range(0, EventsPerBatch).Select(i => (JsonNode)new JsonObject
                {
                    ["eventId"] = $"soak-{run}-{batch}-{i}",
                    ["userId"] = $"soak-{run}-{(batch * EventsPerBatch + i) % SoakUsers}",
                    ["itemId"] = model.ItemIds[(batch * EventsPerBatch + i) % model.ItemCount],
                    ["type"] = i % 5 == 0 ? "purchase" : "view",
                    ["market"] = "GB",
                    ["timestamp"] = DateTimeOffset.UtcNow.AddMilliseconds(-i).ToString("O", CultureInfo.InvariantCulture),
                }).ToArray()).ToJsonString();
                using var content = new StringContent(pending, Encoding.UTF8, "application/json");
                using var response = await handler.Client.PostAsync("/api/events", content, ct).ConfigureAwait(false);
                Count("events", response.StatusCode);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                    continue;
                }
                using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
                foreach (var result in report.RootElement.GetProperty("results").EnumerateArray())
                    if (result.GetProperty("status").GetString() is "accepted" or "duplicate") acknowledged.TryAdd(result.GetProperty("eventId").GetString()!, 0);
                pending = null;
                batch++;
            }
        }

        async Task PatchAsync()
        {
            int n = 0;
            while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                var item = Uri.EscapeDataString(model.ItemIds[n % model.ItemCount]);
                // Stock flips back on the next pass over the same item, so the catalogue ends as it began.
                using var content = new StringContent($"{{\"inStock\":{((n / model.ItemCount) % 2 == 1 ? "true" : "false")}}}", Encoding.UTF8, "application/json");
                using var response = await handler.Client.PatchAsync($"/api/items/{item}", content, ct).ConfigureAwait(false);
                Count("patches", response.StatusCode);
                n++;
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        async Task OutagesAsync()
        {
            foreach (var third in new[] { 1, 2 })
            {
                var at = started + options.Duration * third / 3;
                if (at > DateTime.UtcNow) await Task.Delay(at - DateTime.UtcNow, ct).ConfigureAwait(false);
                proxy.Cut();
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} storage cut");
                await Task.Delay(options.Outage, ct).ConfigureAwait(false);
                proxy.Restore();
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} storage restored");
            }
        }

        // Resident memory once a minute: a leak keeps climbing, a heap settling under load flattens out.
        async Task SampleMemoryAsync()
        {
            for (int minute = 1; started + TimeSpan.FromMinutes(minute) <= deadline; minute++)
            {
                var wait = started + TimeSpan.FromMinutes(minute) - DateTime.UtcNow;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} minute {minute}: handler RSS {handler.ResidentBytes / 1048576.0:F0} MiB after {statuses.Values.Sum():N0} requests"));
            }
        }

        await Task.WhenAll(RecommendAsync(0), RecommendAsync(1), IngestAsync(), PatchAsync(), OutagesAsync(), SampleMemoryAsync()).ConfigureAwait(false);
        long rssEnd = handler.ResidentBytes;

        // Stored = in the events table and in the event log, read directly (not through the proxy).
        var pseudonymizer = Pseudonymizer.FromEnvironment();
        var inTable = new HashSet<string>(StringComparer.Ordinal);
        for (int u = 0; u < SoakUsers; u++)
        {
            var partition = pseudonymizer.Pseudonymize($"soak-{run}-{u}");
            await foreach (var row in store.Table("events").QueryAsync<TableEntity>(r => r.PartitionKey == partition, select: ["EventId"], cancellationToken: ct).ConfigureAwait(false))
                inTable.Add(row.GetString("EventId"));
        }
        var inLog = (await store.EventLog.ReadDistinctAsync(ct: ct).ConfigureAwait(false))
            .Select(e => e.EventId).Where(id => id.StartsWith($"soak-{run}-", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        int lostFromTable = acknowledged.Keys.Count(id => !inTable.Contains(id));
        int lostFromLog = acknowledged.Keys.Count(id => !inLog.Contains(id));

        output.WriteLine($"requests: {statuses.Values.Sum():N0}");
        foreach (var (key, count) in statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal)) output.WriteLine($"  {key}: {count:N0}");
        output.WriteLine($"events acknowledged: {acknowledged.Count:N0}; in the events table: {inTable.Count:N0}; in the event log: {inLog.Count:N0}; acknowledged but missing: {lostFromTable} (table), {lostFromLog} (log)");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"handler RSS: {rssStart / 1048576.0:F0} MiB at start, {rssEnd / 1048576.0:F0} MiB at end"));
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        return lostFromTable + lostFromLog == 0 ? 0 : 1;
    }
}
