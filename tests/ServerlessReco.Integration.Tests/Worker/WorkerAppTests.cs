using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using ServerlessReco.Functions;
using ServerlessReco.Functions.Worker;
using ServerlessReco.Tests.Edge;
using ServerlessReco.Tests.Multilingual;
using ServerlessReco.Tests.Translate;

namespace ServerlessReco.Tests.Worker;

/// <summary>The isolated-worker app's composition, built with its real registrations but without the Functions host.</summary>
public class WorkerAppTests
{
    [Fact]
    public async Task The_service_graph_builds_and_gives_every_function_class_what_it_takes()
    {
        await using var worker = await WorkerHost.StartAsync(TestStorage.NewStore());
        var functions = WorkerHost.Functions().ToList();
        Assert.True(functions.Count >= 11, $"only {functions.Count} functions");
        await using var scope = worker.Services.CreateAsyncScope();
        foreach (var type in functions.Select(f => f.Method.DeclaringType!).Distinct())
            Assert.NotNull(ActivatorUtilities.CreateInstance(scope.ServiceProvider, type));
        // Every HTTP function runs the one pipeline; the worker hands its functions an ASP.NET Core HttpContext.
        Assert.All(functions.Where(f => f.Http is not null), f => Assert.Equal(typeof(IResult), f.Method.ReturnType));
    }

    [Theory]
    [MemberData(nameof(StartupSettingsTests.WrongSettings), MemberType = typeof(StartupSettingsTests))]
    public async Task A_wrong_or_missing_setting_stops_the_worker_with_the_handlers_line(string name, string value, string handlerLine)
    {
        // Run from its own build output, where its runtimeconfig and the SDK's functions.metadata are.
        var (exitCode, stderr) = await StartupSettingsTests.RunAsync(WorkerHost.BuildOutput("reco-worker.dll"), new() { [name] = value, ["TRANSLATOR_KEY"] = name.StartsWith("TRANSLATOR", StringComparison.Ordinal) ? "key" : "" });
        Assert.Equal(1, exitCode);
        Assert.Equal([handlerLine.Replace("reco-handler: ", "reco-worker: ", StringComparison.Ordinal)], stderr);
    }

    [Fact]
    public async Task The_TranslateCatalog_timer_translates_the_catalogue_as_the_handlers_does()
    {
        await using var translator = await FakeTranslatorServer.StartAsync();
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync(MultilingualCatalogue.Untranslated(["DE", "FR"]));
        await using var worker = await WorkerHost.StartAsync(store,
            new Dictionary<string, string?> { ["TRANSLATOR_KEY"] = FakeTranslatorServer.Key, ["TRANSLATOR_REGION"] = "westeurope" },
            services => services.AddSingleton(translator.CreateOptions()));

        var timer = ActivatorUtilities.CreateInstance<TimerFunctions>(worker.Services);
        await timer.TranslateCatalog(new TimerInfo(), CancellationToken.None);

        var p001 = (await store.Catalog.GetAsync("p001"))!;
        Assert.Equal("[de] " + p001.Title, p001.Titles!["de"]);
        Assert.Equal("[fr] " + p001.Title, p001.Titles["fr"]);
        Assert.NotEmpty(translator.Requests);
    }
}
