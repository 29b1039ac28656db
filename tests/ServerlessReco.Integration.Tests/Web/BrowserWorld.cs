using System.Text;
using Microsoft.Playwright;
using ServerlessReco.Evaluate;
using ServerlessReco.Feedback;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Web;

/// <summary>
/// One handler serving <see cref="ServeWorld"/> (two versions, the served one with an offline evaluation, one dead
/// letter, a simulated online report) and one headless Debian chromium for a test class; each test opens its own browser context.
/// </summary>
public sealed class BrowserWorld : IAsyncLifetime
{
    public const string Served = "v2";
    public const string Older = "v1";

    private IPlaywright? _playwright;

    public RunningHandler Handler { get; private set; } = null!;
    public DataStore Store { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public string PageUrl(string page) => new Uri(Handler.Address, "/api/ui/" + page).ToString();

    /// <summary>What `evaluate` would have stored: two methods and two markets with distinct numbers.</summary>
    public static OfflineEvaluation Evaluation(ServerlessReco.Train.TrainingParameters parameters) => new()
    {
        EvaluatedAt = DateTimeOffset.UtcNow.AddHours(-1),
        Split = "time split at 2011-11-09",
        K = 10,
        TestUsers = 1193,
        Parameters = parameters,
        Methods =
        [
            new("popularity (market)", new EvaluationResult(0.031, 0.021, 0.0412, 0.013, 0.23, 0.0178, 1193, 0.9754, 2.78,
                [new MarketResult("GB", 1157, 0.0401), new MarketResult("DE", 36, 0.0198)])),
            new("served pipeline", new EvaluationResult(0.071, 0.052, 0.0964, 0.041, 0.41, 0.2817, 1193, 0.9381, 4.10,
                [new MarketResult("GB", 1157, 0.0912), new MarketResult("DE", 36, 0.1234)])),
        ],
    };

    /// <summary>What `online-report` would have stored after a replay: two arms in two markets with distinct rates.</summary>
    public static OnlineReport OnlineReport()
    {
        OnlineReportRow Row(Arm arm, string market, long impressions, long clicks, long purchases) => new(
            "exp-7", arm, OnlineMetrics.All, market, impressions, impressions / 4, OnlineMetrics.Wilson(clicks, impressions),
            OnlineMetrics.Wilson(clicks / 2, impressions), OnlineMetrics.Wilson(purchases, impressions), purchases * 12.5, purchases);
        var control = Row(Arm.Control, OnlineMetrics.All, 2000, 120, 30);
        var challenger = Row(Arm.Challenger, OnlineMetrics.All, 1000, 80, 21);
        ArmDifference Difference(string metric, Func<OnlineReportRow, Rate> rate)
        {
            var (z, p) = OnlineMetrics.TwoProportionZTest(rate(control).Count, rate(control).Of, rate(challenger).Count, rate(challenger).Of);
            return new("exp-7", OnlineMetrics.All, OnlineMetrics.All, metric, rate(control).Value, rate(challenger).Value, rate(challenger).Value - rate(control).Value, z, p);
        }
        return new(DateTimeOffset.UtcNow.AddMinutes(-5), null, "exp-7", 24, Simulated: true, 3000, 260, 251,
            new() { [UnattributedReason.UnknownId] = 9 },
            [control, challenger, Row(Arm.Control, "DE", 1500, 90, 20), Row(Arm.Control, "FR", 500, 30, 10),
                Row(Arm.Challenger, "DE", 800, 64, 17), Row(Arm.Challenger, "FR", 200, 16, 4)],
            [Difference("clickThrough", r => r.ClickThrough), Difference("purchase", r => r.Purchase)]);
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium.ExecutablePath))
            throw new InvalidOperationException($"{Chromium.ExecutablePath} is missing: ./reco test installs Debian's chromium package where {Chromium.Variable} is unset.");
        Store = TestStorage.NewStore();
        await Store.Catalog.UpsertAsync(ServeWorld.Catalog());
        await Store.Models.WriteVersionAsync(ServeWorld.Model(Older));
        var served = ServeWorld.Model(Served);
        await Store.Models.WriteVersionAsync(served with { Manifest = served.Manifest with { Evaluation = Evaluation(served.Manifest.Training) } });
        await Store.Models.PublishAsync(Served);
        await new OnlineReportStore(Store.Blobs).WriteAsync(OnlineReport());
        var settings = ServeWorld.Settings;
        settings["RECO_DEMO_USERS"] = "alice:DE,bob:FR";
        Handler = await RunningHandler.StartAsync(Store, settings);
        await ServeWorld.WaitForAsync(Handler, h => h.GetProperty("modelVersion").GetString() == Served && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        // One rejected event, so the console has a dead letter with its reason.
        using var bad = new StringContent("""[{"eventId":"e-bad","userId":"alice","itemId":"K1","type":"teleport","market":"DE","timestamp":"2026-01-01T00:00:00Z"}]""",
            Encoding.UTF8, "application/json");
        (await Handler.Anonymous.PostAsync("/api/events", bad)).EnsureSuccessStatusCode();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium.ExecutablePath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Handler is not null) await Handler.DisposeAsync();
    }
}
