using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Ingest;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Feedback;

/// <summary>
/// `replay`: SIMULATED shoppers. Online Retail has no impressions, so the held-out period is played against a
/// running handler over HTTP: each customer who bought in it asks for recommendations and for their market's
/// popular items, and every shown item they really bought in that period is clicked, added to the cart and bought
/// (at its real unit price) with the answer's recommendationId. The run is recorded (<see cref="ReplayRun"/>) so
/// that reports on its impressions say simulated.
/// </summary>
public static class ReplayJob
{
    public const int Count = 10;

    public sealed record Result(ReplayRun Run, int ShownAndBought, int Skipped);

    public static async Task<Result> RunAsync(DataStore store, Uri handler, string? input, DateTimeOffset since, int maxShoppers, IJobProgress progress, CancellationToken ct)
    {
        if (maxShoppers < 1) throw new ArgumentException("--shoppers must be at least 1.");
        var path = input ?? ImportJobs.BundledOnlineRetail;
        if (!File.Exists(path)) throw new FileNotFoundException($"Online Retail file not found: {path}. Pass --input PATH (CSV or .csv.gz).");
        var parser = new OnlineRetailParser();
        await ImportJobs.ReadLinesAsync(path, parser.AddLine, progress, ct).ConfigureAwait(false);
        // Raw customer ids: the replay is a storefront, which knows its shoppers; the handler pseudonymises them.
        var purchases = parser.Events(user => user).Where(e => e.User.Length > 0 && e.Timestamp >= since).ToList();
        int skipped = 0;
        var shoppers = new List<(string User, string Market, Dictionary<string, InteractionEvent> Bought)>();
        foreach (var group in purchases.GroupBy(e => e.User).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var market = group.First().Market;
            // ZZ (unknown country) is not a market the API serves.
            if (!Markets.TryGet(market, out _)) { skipped++; continue; }
            var bought = new Dictionary<string, InteractionEvent>(StringComparer.Ordinal);
            foreach (var e in group) bought.TryAdd(e.Item, e);
            shoppers.Add((group.Key, market, bought));
            if (shoppers.Count == maxShoppers) break;
        }
        if (shoppers.Count == 0) throw new InvalidOperationException($"No customer with a known market bought anything on or after {since:yyyy-MM-dd}: nothing to replay.");

        var tokens = JobEnvironment.Tokens();
        using var http = new HttpClient { BaseAddress = handler, Timeout = TimeSpan.FromSeconds(30) };
        var started = DateTimeOffset.UtcNow;
        int requests = 0, sent = 0, shownAndBought = 0;
        await progress.RunAsync($"replaying {shoppers.Count} shoppers against {handler}", async advance =>
        {
            int done = 0;
            await Parallel.ForEachAsync(shoppers, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (shopper, token) =>
            {
                var user = Uri.EscapeDataString(shopper.User);
                using var recommend = new HttpRequestMessage(HttpMethod.Get, $"/api/recommendations/{user}?market={shopper.Market}&count={Count}");
                recommend.Headers.Authorization = new AuthenticationHeaderValue(ShopperTokens.Scheme, tokens.Mint(shopper.User, DateTimeOffset.UtcNow.AddHours(1)));
                var answers = new[]
                {
                    await ReadAnswerAsync(http, recommend, token).ConfigureAwait(false),
                    await ReadAnswerAsync(http, new HttpRequestMessage(HttpMethod.Get, $"/api/popular?market={shopper.Market}&count={Count}&userId={user}"), token).ConfigureAwait(false),
                };
                var events = new List<string>();
                foreach (var (id, items) in answers)
                    foreach (var item in items.Where(shopper.Bought.ContainsKey))
                    {
                        var purchase = shopper.Bought[item];
                        Interlocked.Increment(ref shownAndBought);
                        foreach (var type in new[] { "click", "add_to_cart", "purchase" })
                            events.Add(Event(shopper.User, shopper.Market, item, type, id, type == "purchase" ? purchase : null));
                    }
                if (events.Count > 0)
                {
                    using var body = new StringContent("[" + string.Join(',', events) + "]", Encoding.UTF8, "application/json");
                    using var posted = await http.PostAsync("/api/events", body, token).ConfigureAwait(false);
                    if (!posted.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/events answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(token).ConfigureAwait(false)}");
                    Interlocked.Add(ref sent, events.Count);
                }
                Interlocked.Add(ref requests, answers.Length);
                advance(Interlocked.Increment(ref done), shoppers.Count);
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var run = new ReplayRun(started, DateTimeOffset.UtcNow, since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), shoppers.Count, requests, sent);
        await new OnlineReportStore(store.Blobs).RecordReplayAsync(run, ct).ConfigureAwait(false);
        return new Result(run, shownAndBought, skipped);
    }

    private static async Task<(string Id, List<string> Items)> ReadAnswerAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        using (var response = await http.SendAsync(request, ct).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{request.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
            using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
            var root = json.RootElement;
            return (root.GetProperty("recommendationId").GetString()!, [.. root.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)]);
        }
    }

    private static string Event(string user, string market, string item, string type, string recommendationId, InteractionEvent? purchase)
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["eventId"] = $"replay-{recommendationId}-{item}-{type}",
            ["userId"] = user,
            ["itemId"] = item,
            ["type"] = type,
            ["market"] = market,
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["recommendationId"] = recommendationId,
            ["sessionId"] = "replay",
        };
        if (purchase is not null)
        {
            o["quantity"] = Math.Min(purchase.Quantity, EventValidator.MaxQuantity);
            if (purchase.Value is { } price) o["value"] = price;
        }
        return o.ToJsonString();
    }
}
