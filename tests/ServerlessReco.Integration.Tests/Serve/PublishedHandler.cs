namespace ServerlessReco.Tests.Serve;

/// <summary>One handler serving <see cref="ServeWorld"/>'s v1, shared by read-only tests of a class.</summary>
public sealed class PublishedHandler : IAsyncLifetime
{
    public RunningHandler Handler { get; private set; } = null!;

    public async Task InitializeAsync() => Handler = await ServeWorld.StartAsync(await ServeWorld.PublishedStoreAsync());

    public async Task DisposeAsync() => await Handler.DisposeAsync();
}
