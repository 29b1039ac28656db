namespace ServerlessReco.Tests;

public class HandlerContractTests
{
    [Fact]
    public async Task Root_answers_at_once_for_the_hosts_readiness_probe()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var response = await handler.Client.GetAsync("/");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
