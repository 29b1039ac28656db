using Microsoft.Azure.Functions.Worker;

namespace ServerlessReco.Functions.Worker;

// One function per function.json of the custom handler, with its route, methods and auth level (a test holds the
// generated functions.metadata to them). Each answers by running the shared API on the request.

public sealed class ServeFunctions(ApiPipeline api)
{
    [Function("Recommendations")]
    public IResult Recommendations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recommendations/{userId}")] HttpRequest request) => api;

    [Function("SimilarItems")]
    public IResult SimilarItems([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{itemId}/similar")] HttpRequest request) => api;

    [Function("Popular")]
    public IResult Popular([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "popular")] HttpRequest request) => api;

    [Function("Search")]
    public IResult Search([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "search")] HttpRequest request) => api;

    [Function("Health")]
    public IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) => api;

    [Function("OpenApi")]
    public IResult OpenApi([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) => api;
}

public sealed class IngestFunctions(ApiPipeline api)
{
    [Function("Events")]
    public IResult Events([HttpTrigger(AuthorizationLevel.Function, "post", Route = "events")] HttpRequest request) => api;

    [Function("Items")]
    public IResult Items([HttpTrigger(AuthorizationLevel.Function, "put", Route = "items")] HttpRequest request) => api;

    [Function("Item")]
    public IResult Item([HttpTrigger(AuthorizationLevel.Function, "get", "patch", Route = "items/{itemId}")] HttpRequest request) => api;

    [Function("EraseUser")]
    public IResult EraseUser([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "users/{userId}")] HttpRequest request) => api;
}

public sealed class TranslateFunctions(ApiPipeline api)
{
    [Function("Translate")]
    public IResult Translate([HttpTrigger(AuthorizationLevel.Function, "post", Route = "translate")] HttpRequest request) => api;
}

public sealed class ConsoleFunctions(ApiPipeline api)
{
    [Function("ConsoleStorefront")]
    public IResult Storefront([HttpTrigger(AuthorizationLevel.Function, "get", Route = "console/storefront")] HttpRequest request) => api;

    [Function("ConsoleShopperTokens")]
    public IResult ShopperTokens([HttpTrigger(AuthorizationLevel.Function, "post", Route = "console/shopper-tokens")] HttpRequest request) => api;

    [Function("ConsoleModels")]
    public IResult Models([HttpTrigger(AuthorizationLevel.Function, "get", Route = "console/models")] HttpRequest request) => api;

    [Function("ConsoleIngestion")]
    public IResult Ingestion([HttpTrigger(AuthorizationLevel.Function, "get", Route = "console/ingestion")] HttpRequest request) => api;

    [Function("ConsoleCatalog")]
    public IResult Catalog([HttpTrigger(AuthorizationLevel.Function, "get", Route = "console/catalog")] HttpRequest request) => api;

    [Function("ConsoleOnline")]
    public IResult Online([HttpTrigger(AuthorizationLevel.Function, "get", Route = "console/online")] HttpRequest request) => api;

    [Function("WebPages")]
    public IResult WebPages([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ui/{*path}")] HttpRequest request) => api;
}
