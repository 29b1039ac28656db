using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Ingest;

public static class UserEndpoints
{
    /// <summary>
    /// DELETE /api/users/{userId}: erasure. 200 whether or not anything was stored for the user, so the answer
    /// reveals nothing and a retry is harmless.
    /// </summary>
    public static async Task<IResult> DeleteUserAsync(HttpContext ctx)
    {
        var userId = RequestHelpers.PathId(ctx, "/api/users/");
        // No rule beyond non-empty: whatever id was sent must be erasable, and it is only ever hashed.
        if (string.IsNullOrEmpty(userId))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["must not be empty"] }, title: "Invalid user id");
        var erasure = ctx.RequestServices.GetRequiredService<UserErasure>();
        return await RequestHelpers.WithStorageAsync(ctx, "Erasing the user", async ct =>
            Results.Json(await erasure.EraseAsync(userId, ct), IngestJsonContext.Default.ErasureReport));
    }
}
