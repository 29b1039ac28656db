using System.Net;
using System.Net.Sockets;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

public class StorageFailureTests
{
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Storage_down_answers_503_and_acknowledges_nothing()
    {
        var port = ClosedPort();
        var key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var down = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore(), new Dictionary<string, string?>
        {
            [DataStore.ConnectionStringVariable] = down,
            [ServerlessReco.Functions.Ingest.IngestOptions.StorageTimeoutSecondsKey] = "2",
        });

        var http = await handler.PostEventsAsync(Json(Event("down-1"), Event("down-2")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, http.StatusCode);
        await Edge.ProblemShape.AssertAsync(handler, http, 503);
        var problem = await http.ReadJsonAsync();
        Assert.Equal("Storage unavailable", problem.GetProperty("title").GetString());
        Assert.False(problem.TryGetProperty("results", out _));

        var now = DateTimeOffset.UtcNow;
        var hub = await handler.Client.PostAsync("/IngestEvents", Json(EventHubTriggerTests.HostPayload([Event("down-3").ToJsonString()], [now])));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, hub.StatusCode);
        Assert.False((await hub.ReadJsonAsync()).TryGetProperty("ReturnValue", out _));

        // Even an event that would only be dead-lettered is not acknowledged while storage is down.
        var rejectedOnly = await handler.PostEventsAsync(Json("[{\"eventId\": 1}]"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejectedOnly.StatusCode);
    }
}
