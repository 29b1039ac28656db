using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// The README's pictures of the storefront preview and the operator console, taken from a running handler (the
/// demo's data) with Debian's chromium: the preview after a real simulated purchase, the console as it then is.
/// </summary>
public static class Screenshots
{
    public static async Task<int> RunAsync(Uri address, string output, TextWriter log, CancellationToken ct)
    {
        await WaitForModelAsync(address, ct);
        Directory.CreateDirectory(output);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ServerlessReco.Tests.Chromium.ExecutablePath, Headless = true });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = 1200, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(new Uri(address, "/api/ui/preview.html").ToString());
        await page.Locator("#recs li").First.WaitForAsync();
        // Similar items of the first recommendation, then a purchase of it: the answer that follows is folded in.
        await page.Locator("#recs li button").First.ClickAsync();
        await page.Locator("#similar li").First.WaitForAsync();
        await page.ClickAsync("#simulate");
        await page.Locator("#changes", new PageLocatorOptions { HasTextString = "Sent" }).WaitForAsync();
        var preview = Path.Combine(output, "preview.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = preview, FullPage = true });
        log.WriteLine($"wrote {preview}");

        await page.GotoAsync(new Uri(address, "/api/ui/console.html").ToString());
        await page.Locator("#versions tbody tr").First.WaitForAsync();
        await page.Locator("#catalog dt").First.WaitForAsync();
        await page.Locator("#dead-letters li").First.WaitForAsync();
        var console = Path.Combine(output, "console.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = console, FullPage = true });
        log.WriteLine($"wrote {console}");

        if (errors.Count == 0) return 0;
        log.WriteLine("browser console errors: " + string.Join(" | ", errors));
        return 1;
    }

    private static async Task WaitForModelAsync(Uri address, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                var health = await client.GetFromJsonAsync<JsonElement>("/api/health", ct);
                if (health.TryGetProperty("modelVersion", out _) && health.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{address} served no model with a catalogue within 3 minutes.");
            await Task.Delay(250, ct);
        }
    }
}
