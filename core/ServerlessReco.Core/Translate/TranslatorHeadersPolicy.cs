using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ServerlessReco.Translate;

/// <summary>
/// Adds the Cognitive Services headers; Azure.Core's key policy is internal and would use the wrong header name anyway.
/// </summary>
internal sealed class TranslatorHeadersPolicy : HttpPipelineSynchronousPolicy
{
    private readonly AzureKeyCredential? _key;
    private readonly string? _region;
    private readonly string? _resourceId;

    public TranslatorHeadersPolicy(AzureKeyCredential? key, string? region, string? resourceId)
    {
        _key = key;
        _region = region;
        _resourceId = resourceId;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        // Read per request so AzureKeyCredential.Update rotates keys without rebuilding the client.
        if (_key is not null)
            message.Request.Headers.SetValue("Ocp-Apim-Subscription-Key", _key.Key);
        if (_region is not null)
            message.Request.Headers.SetValue("Ocp-Apim-Subscription-Region", _region);
        if (_resourceId is not null)
            message.Request.Headers.SetValue("Ocp-Apim-ResourceId", _resourceId);
    }
}
