using ServerlessReco.Functions;

var app = HandlerApp.Build(args);
await app.RunAsync();
