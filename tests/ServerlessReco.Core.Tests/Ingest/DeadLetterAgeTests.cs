using System.Globalization;
using ServerlessReco.Ingest;

namespace ServerlessReco.Tests.Ingest;

public class DeadLetterAgeTests
{
    [Theory]
    [InlineData("events/2025/03/01/0a1b.json", "2025-03-02T00:00:00Z")]
    [InlineData("import/online-retail/20250301T101500Z.jsonl", "2025-03-01T10:15:00Z")]
    [InlineData("events/2025/13/01/x.json", null)]
    [InlineData("events/2025/03/01.json", null)]
    [InlineData("import/x/latest.jsonl", null)]
    public void Dead_letter_age_comes_from_its_path(string path, string? receivedBefore) =>
        Assert.Equal(receivedBefore is null ? null : DateTimeOffset.Parse(receivedBefore, CultureInfo.InvariantCulture), DeadLetterStore.ReceivedBefore(path));
}
