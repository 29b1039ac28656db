using Microsoft.AspNetCore.Http.HttpResults;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Ingest;

public static class UserEndpoints
{
    /// <summary>
    /// DELETE /api/users/{userId}: erasure. 200 whether or not anything was stored for the user, so the answer
    /// reveals nothing and a retry is harmless. Serving on this instance honours it from the answer on; other
    /// instances read the tombstone at their next poll.
    /// </summary>
    public static async Task<Results<Ok<ErasureReport>, ProblemHttpResult>> DeleteUserAsync(
        HttpRequest request, UserErasure erasure, ErasedShoppers erased, StorageCalls storage, CancellationToken aborted)
    {
        // The same rule as for the user id of an event: every id ingestion accepted can be erased.
        if (!PathIds.TryRead(request, "userId", out var userId, out var problem)) return problem;
        return await storage.RunAsync<Ok<ErasureReport>>("Erasing the user", async ct =>
        {
            var report = await erasure.EraseAsync(userId, ct);
            erased.Record(report.UserPseudonym, report.ErasedAt);
            return TypedResults.Ok(report);
        }, request.HttpContext);
    }
}
