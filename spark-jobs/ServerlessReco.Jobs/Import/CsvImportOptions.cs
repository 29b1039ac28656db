namespace ServerlessReco.Jobs.Import;

public sealed record CsvImportOptions(string Input, string User, string Item, string? Value, string? Time, string? Market, string? Type);
