using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ServerlessReco.Tests.Serve;
using static Microsoft.Playwright.Assertions;

namespace ServerlessReco.Tests.Web;

/// <summary>
/// The preview and the console in a real browser (Debian's chromium driven by Playwright), used as a person would:
/// switching markets and languages, clicking items, simulating a purchase, reading the console's charts. Every
/// test fails on any error in the browser's console or an uncaught script error.
/// </summary>
public sealed partial class BrowserTests(BrowserWorld world) : IClassFixture<BrowserWorld>
{
    /// <summary>A page with its console watched; <paramref name="expectedFailure"/> is the one failed request a test provokes.</summary>
    private async Task<(IPage Page, List<string> Errors)> OpenAsync(string page, string? expectedFailure = null, bool bypassCsp = false)
    {
        var context = await world.Browser.NewContextAsync(new BrowserNewContextOptions { BypassCSP = bypassCsp, ViewportSize = new() { Width = 1200, Height = 900 } });
        var tab = await context.NewPageAsync();
        var errors = new List<string>();
        tab.Console += (_, message) =>
        {
            if (message.Type == "error" && (expectedFailure is null || !message.Text.Contains(expectedFailure, StringComparison.Ordinal))) errors.Add(message.Text);
        };
        tab.PageError += (_, error) => errors.Add("uncaught: " + error);
        await tab.GotoAsync(world.PageUrl(page));
        return (tab, errors);
    }

    private static void NoConsoleErrors(List<string> errors) => Assert.True(errors.Count == 0, "browser console: " + string.Join(" | ", errors));

    private static ILocator Row(IPage page, string list, string item) => page.Locator($"#{list} li[data-item='{item}']");

    [Fact]
    public async Task Switching_market_and_language_changes_titles_and_items_without_a_reload()
    {
        var (page, errors) = await OpenAsync("preview.html");
        // The first demo shopper (alice, DE) in the market's first language: her kitchen items, K1 in German.
        await Expect(page.Locator("#market")).ToHaveValueAsync("DE");
        await Expect(page.Locator("#locale")).ToHaveValueAsync("de");
        await Expect(Row(page, "recs", "K1").Locator(".title")).ToHaveTextAsync("Messer");
        await Expect(page.Locator("#popular li").First).ToHaveAttributeAsync("data-item", new Regex("^G"));
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        await page.SelectOptionAsync("#locale", "en");
        await Expect(Row(page, "recs", "K1").Locator(".title")).ToHaveTextAsync("Item K1");

        await page.SelectOptionAsync("#market", "FR");
        await Expect(page.Locator("#locale")).ToHaveValueAsync("fr");
        await Expect(Row(page, "recs", "K1").Locator(".title")).ToHaveTextAsync("Couteau");
        // K2 is sold only in France; France's best sellers are toys, Germany's garden items.
        await Expect(Row(page, "recs", "K2")).ToBeVisibleAsync();
        await Expect(page.Locator("#popular li").First).ToHaveAttributeAsync("data-item", new Regex("^T"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page reloaded");
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task Clicking_an_item_shows_items_like_it()
    {
        var (page, errors) = await OpenAsync("preview.html");
        var first = page.Locator("#popular li").First;
        await Expect(first).ToHaveAttributeAsync("data-item", "G1");
        await first.Locator("button").ClickAsync();
        await Expect(page.Locator("#similar-summary")).ToContainTextAsync("(G1)");
        // G1's neighbours by item factors are the other garden items.
        var similar = await page.Locator("#similar li").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.item)");
        Assert.NotEmpty(similar);
        Assert.DoesNotContain("G1", similar);
        Assert.All(similar.Take(3), id => Assert.StartsWith("G", id));
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_simulated_purchase_changes_the_next_recommendations()
    {
        var (page, errors) = await OpenAsync("preview.html");
        var shopper = "erin-" + Guid.NewGuid().ToString("N")[..8];
        await page.FillAsync("#shopper", shopper);
        await page.ClickAsync("#show");
        // Unknown to the model: the market's best sellers.
        await Expect(page.Locator("#recs-summary")).ToContainTextAsync("Strategy popularity");
        var before = await page.Locator("#recs li").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.item)");
        await Row(page, "recs", "G1").Locator("button").ClickAsync();
        await Expect(page.Locator("#event-item")).ToHaveValueAsync("G1");
        await page.SelectOptionAsync("#event-type", "purchase");
        await page.ClickAsync("#simulate");

        await Expect(page.Locator("#recs-summary")).ToContainTextAsync("Strategy als+realtime");
        await Expect(page.Locator("#changes")).ToContainTextAsync("Sent purchase of G1");
        var after = await page.Locator("#recs li").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.item)");
        Assert.DoesNotContain("G1", after);
        Assert.NotEqual(before, after);
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_bad_shopper_id_shows_a_readable_error()
    {
        var (page, errors) = await OpenAsync("preview.html", expectedFailure: "status of 400");
        await Expect(page.Locator("#recs li").First).ToBeVisibleAsync();
        await page.FillAsync("#shopper", new string('x', 300));
        await page.ClickAsync("#show");
        var error = page.Locator("#error");
        await Expect(error).ToBeVisibleAsync();
        await Expect(error).ToContainTextAsync("userId");
        await Expect(error).ToContainTextAsync("at most 256 characters");
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_console_charts_the_served_versions_metrics_from_its_manifest()
    {
        var manifest = (await world.Store.Models.ReadManifestAsync(BrowserWorld.Served))!;
        var (page, errors) = await OpenAsync("console.html");
        await Expect(page.Locator($"#versions tr[data-version='{BrowserWorld.Served}']")).ToContainTextAsync("serving");
        await Expect(page.Locator($"#versions tr[data-version='{BrowserWorld.Older}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#version")).ToHaveValueAsync(BrowserWorld.Served);
        await Expect(page.Locator("#health")).ToContainTextAsync(BrowserWorld.Served);

        var chart = page.Locator("#chart-ndcg svg");
        await Expect(chart).ToBeVisibleAsync();
        var labels = await chart.Locator("text.label").AllTextContentsAsync();
        var values = await chart.Locator("text.value").AllTextContentsAsync();
        var bars = await chart.Locator("rect.bar").EvaluateAllAsync<string[]>("bars => bars.map(b => b.dataset.value)");
        var methods = manifest.Evaluation!.Methods;
        Assert.Equal(methods.Select(m => m.Method), labels);
        Assert.Equal(methods.Select(m => m.Metrics.Ndcg.ToString("F3", CultureInfo.InvariantCulture)), values);
        Assert.Equal(methods.Select(m => m.Metrics.Ndcg), bars.Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        // Longer bars for larger values: the picture says what the numbers say.
        var widths = await chart.Locator("rect.bar").EvaluateAllAsync<double[]>("bars => bars.map(b => b.width.baseVal.value)");
        Assert.True(widths[1] > widths[0] * 2, $"bar widths {string.Join(", ", widths)}");
        var served = methods.Single(m => m.Method == "served pipeline").Metrics;
        await Expect(page.Locator("#chart-markets svg text.label").First).ToHaveTextAsync($"GB ({served.Markets![0].Users})");
        await Expect(page.Locator("#chart-beyond svg")).ToContainTextAsync(served.Coverage.ToString("F3", CultureInfo.InvariantCulture));

        // The older version has no evaluation, and says so.
        await page.SelectOptionAsync("#version", BrowserWorld.Older);
        await Expect(page.Locator("#evaluation-summary")).ToContainTextAsync("no offline evaluation");
        await Expect(page.Locator("#chart-ndcg")).ToHaveCountAsync(0);

        // Ingestion: the rejected event's dead letter with its reason; catalogue: German titles counted.
        await Expect(page.Locator("#dead-letters")).ToContainTextAsync("teleport");
        await Expect(page.Locator("#dead-letters code").First).ToHaveTextAsync("type");
        await Expect(page.Locator("#chart-dead-letters svg text.value").First).ToHaveTextAsync(new Regex("^[1-9]"));
        await Expect(page.Locator("#chart-languages svg text.label")).ToContainTextAsync(["en", "de"]);
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_console_charts_the_stored_online_report_per_arm_with_intervals_and_says_it_is_simulated()
    {
        var report = (await new ServerlessReco.Feedback.OnlineReportStore(world.Store.Blobs).ReadLatestAsync())!;
        var (page, errors) = await OpenAsync("console.html");
        await Expect(page.Locator("#online-simulated")).ToBeVisibleAsync();
        await Expect(page.Locator("#online-simulated")).ToContainTextAsync("SIMULATED");
        await Expect(page.Locator("#online-summary")).ToContainTextAsync("experiment exp-7");

        var chart = page.Locator("#chart-online svg");
        await Expect(chart).ToBeVisibleAsync();
        var arms = report.Rows.Where(r => r.Strategy == "*" && r.Market == "*").ToList();
        Assert.Equal(arms.Select(r => r.Arm.ToString().ToLowerInvariant()), await chart.Locator("text.label").AllTextContentsAsync());
        // Per arm, click-through then purchase rate, each drawn with its interval's ends.
        var expected = arms.SelectMany(r => new[] { r.ClickThrough, r.Purchase }).ToList();
        var bars = await chart.Locator("rect.bar").EvaluateAllAsync<string[]>("bars => bars.map(b => b.dataset.value)");
        Assert.Equal(expected.Select(r => r.Value), bars.Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(expected.Select(r => r.Value.ToString("F4", CultureInfo.InvariantCulture)), await chart.Locator("text.value").AllTextContentsAsync());
        var whiskers = await chart.Locator("line.interval[data-low]").EvaluateAllAsync<string[][]>("lines => lines.map(l => [l.dataset.low, l.dataset.high])");
        Assert.Equal(expected.Select(r => (r.Low, r.High)), whiskers.Select(w => (double.Parse(w[0], CultureInfo.InvariantCulture), double.Parse(w[1], CultureInfo.InvariantCulture))));

        var purchase = report.Differences.Single(d => d.Metric == "purchase");
        await Expect(page.Locator("#online-differences")).ToContainTextAsync($"p = {purchase.PValue.ToString("F3", CultureInfo.InvariantCulture)}");
        var de = report.Rows.Single(r => r.Arm == ServerlessReco.Feedback.Arm.Challenger && r.Market == "DE");
        await Expect(page.Locator("#online-markets tr[data-market='DE'][data-arm='challenger']"))
            .ToContainTextAsync($"{(de.ClickThrough.Value * 100).ToString("F2", CultureInfo.InvariantCulture)}% ({(de.ClickThrough.Low * 100).ToString("F2", CultureInfo.InvariantCulture)} to");
        await Expect(page.Locator("#online-markets tbody tr")).ToHaveCountAsync(4);
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task The_console_marks_a_running_experiments_challenger_and_its_share()
    {
        await world.Store.Models.StartExperimentAsync(null, BrowserWorld.Older, 0.25, "exp-browser");
        try
        {
            await ServeWorld.WaitForAsync(world.Handler, h => h.TryGetProperty("experiment", out var e) && e.ValueKind == JsonValueKind.Object);
            var (page, errors) = await OpenAsync("console.html");
            await Expect(page.Locator($"#versions tr[data-version='{BrowserWorld.Older}'] td").Last).ToHaveTextAsync("challenger in exp-browser, 25.0% of shoppers");
            await Expect(page.Locator($"#versions tr[data-version='{BrowserWorld.Served}'] td").Last).ToHaveTextAsync("serving");
            NoConsoleErrors(errors);
        }
        finally
        {
            // The other tests of the class share this handler and expect no experiment.
            await world.Store.Models.StopExperimentAsync();
            await ServeWorld.WaitForAsync(world.Handler, h => !h.TryGetProperty("experiment", out var e) || e.ValueKind == JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task Both_pages_pass_axe_and_the_preview_works_from_the_keyboard()
    {
        var axe = Path.Combine(Repository.Root, "infra", "local", "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(axe), $"{axe} is missing: ./reco test installs it with npm (infra/local/package.json)");
        foreach (var name in new[] { "preview.html", "console.html" })
        {
            // The pages' policy allows only their own scripts; axe is injected, so this context bypasses it.
            var (page, errors) = await OpenAsync(name, bypassCsp: true);
            await Expect(page.Locator(name == "preview.html" ? "#recs li" : "#chart-ndcg svg").First).ToBeVisibleAsync();
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = axe });
            var result = await page.EvaluateAsync<JsonElement>(
                "async () => { const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }); return r.violations.map(v => ({ id: v.id, nodes: v.nodes.map(n => n.target.join(' ')) })); }");
            Assert.True(result.GetArrayLength() == 0, $"{name}: axe found {result}");
            NoConsoleErrors(errors);
        }

        var (preview, previewErrors) = await OpenAsync("preview.html");
        await Expect(preview.Locator("#recs li").First).ToBeVisibleAsync();
        await TabToAsync(preview, "shopper");
        await preview.Keyboard.PressAsync("ControlOrMeta+A");
        await preview.Keyboard.TypeAsync("bob");
        await preview.Keyboard.PressAsync("Enter");
        // Bob likes garden items.
        await Expect(preview.Locator("#recs li").First).ToHaveAttributeAsync("data-item", new Regex("^G"));
        await TabToAsync(preview, "show");
        await preview.Keyboard.PressAsync("Tab");
        var focused = await preview.EvaluateAsync<string>("() => document.activeElement.closest('li').dataset.item");
        await preview.Keyboard.PressAsync("Enter");
        await Expect(preview.Locator("#similar-summary")).ToContainTextAsync($"({focused})");
        NoConsoleErrors(previewErrors);
    }

    /// <summary>Presses Tab until the element with this id has the focus, as a keyboard user would.</summary>
    private static async Task TabToAsync(IPage page, string id)
    {
        for (int i = 0; i < 20; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string>("() => document.activeElement.id") == id) return;
        }
        Assert.Fail($"Tab never reached #{id}");
    }
}
