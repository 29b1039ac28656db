// ServerlessReco on Azure: one storage account (event log, dead letters, models, tables), Event Hubs for
// storefront events, Azure AI Translator, and the function app on Flex Consumption: the Native AOT custom handler
// (default) or the isolated worker, which Event Hubs ingestion cannot run on (README.md, "Two hosts").
// Deploy: az deployment group create -g <rg> -f infra/main.bicep -p pseudonymKey=<secret> shopperTokenSecret=<secret> [hostingModel=isolatedWorker]
targetScope = 'resourceGroup'

@description('Short name used to derive resource names.')
@minLength(3)
@maxLength(11)
param name string = 'reco'

param location string = resourceGroup().location

@description('Key for pseudonymising shopper ids (HMAC-SHA256). Keep it stable: changing it orphans every profile.')
@secure()
@minLength(16)
param pseudonymKey string

@description('Secret the storefront back end mints shopper tokens with (HMAC-SHA256; README.md, Access). Rotating it ends every token in flight.')
@secure()
@minLength(32)
param shopperTokenSecret string

@description('Event Hubs partitions: the upper bound of parallel ingestion instances.')
@minValue(1)
@maxValue(32)
param eventHubPartitions int = 4

@description('Largest number of function app instances Flex Consumption may scale out to.')
param maximumInstanceCount int = 40

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('How the function app runs the API: customHandler (Native AOT, the fastest cold start) or isolatedWorker (Microsoft.Azure.Functions.Worker, ReadyToRun); with isolatedWorker a second app, the custom handler, runs only IngestEvents.')
@allowed(['customHandler', 'isolatedWorker'])
param hostingModel string = 'customHandler'

// Per hosting model: the Flex Consumption runtime (Flex takes it here instead of the FUNCTIONS_WORKER_RUNTIME app
// setting) and the functions/publish.sh command that builds the app's zip.
var hostingModels = {
  customHandler: {
    runtime: { name: 'custom', version: '1.0' }
    publish: 'functions/publish.sh'
  }
  isolatedWorker: {
    runtime: { name: 'dotnet-isolated', version: '10.0' }
    publish: 'functions/publish.sh --worker'
  }
}
var hosting = hostingModels[hostingModel]
var separateIngestApp = hostingModel == 'isolatedWorker'
// The isolated worker's Event Hubs extension is not available to this project, so with it a custom-handler app runs
// IngestEvents (and Health, for its smoke test); every other function of that app is disabled, served by the worker.
var functionsOffTheIngestApp = ['Recommendations', 'SimilarItems', 'Popular', 'Search', 'OpenApi', 'Events', 'Items', 'Item', 'EraseUser', 'Translate', 'TranslateCatalog', 'ConsoleStorefront', 'ConsoleShopperTokens', 'ConsoleModels', 'ConsoleIngestion', 'ConsoleCatalog', 'ConsoleOnline', 'WebPages']
var disabledOnTheIngestApp = [for f in functionsOffTheIngestApp: { name: 'AzureWebJobs.${f}.Disabled', value: 'true' }]

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${suffix}')
var containers = ['events', 'deadletter', 'tombstones', 'models', 'catalog', 'impressions', 'reports', 'deployment', 'deployment-ingest']
// catalogchanges and activity: the catalogue and shopper activity feeds; the Native AOT handler writes them and cannot create tables itself.
var tables = ['items', 'catalogchanges', 'events', 'activity', 'translations']

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(storageName, 24)
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // The event log and model versions are the source of truth: keep deleted blobs recoverable.
    deleteRetentionPolicy: { enabled: true, days: 14 }
    containerDeleteRetentionPolicy: { enabled: true, days: 14 }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in containers: {
  parent: blobService
  name: c
  properties: { publicAccess: 'None' }
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for t in tables: {
  parent: tableService
  name: t
}]

resource eventHubNamespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: '${name}-ehns-${suffix}'
  location: location
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: { minimumTlsVersion: '1.2' }
}

resource eventHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubNamespace
  name: 'events'
  properties: {
    partitionCount: eventHubPartitions
    messageRetentionInDays: 7
  }
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: eventHub
  name: 'serverlessreco'
}

resource listenRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' = {
  parent: eventHub
  name: 'functions-listen'
  properties: { rights: ['Listen'] }
}

resource translator 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: '${name}-translator-${suffix}'
  location: location
  kind: 'TextTranslation'
  sku: { name: 'S1' }
  properties: {
    customSubDomainName: '${name}-translator-${suffix}'
    publicNetworkAccess: 'Enabled'
  }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-insights-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

// The same settings for either host, so that switching hostingModel changes only the runtime and the package (the
// worker does not read the EVENTHUB_* ones).
var appSettings = [
  { name: 'AzureWebJobsStorage', value: storageConnection }
  { name: 'RECO_STORAGE_CONNECTION_STRING', value: storageConnection }
  { name: 'RECO_PSEUDONYM_KEY', value: pseudonymKey }
  { name: 'RECO_SHOPPER_TOKEN_SECRET', value: shopperTokenSecret }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'EVENTHUB_CONNECTION', value: listenRule.listKeys().primaryConnectionString }
  { name: 'EVENTHUB_NAME', value: eventHub.name }
  { name: 'EVENTHUB_CONSUMER_GROUP', value: consumerGroup.name }
  { name: 'TRANSLATOR_ENDPOINT', value: translator.properties.endpoint }
  { name: 'TRANSLATOR_KEY', value: translator.listKeys().key1 }
  { name: 'TRANSLATOR_REGION', value: location }
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: '${name}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}deployment'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      // custom: the host starts the Native AOT executable named in host.json; dotnet-isolated: the worker.
      runtime: hosting.runtime
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
    }
  }
}

// The deployment container is read with the app's identity.
resource deploymentBlobAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, functionApp.id, 'Storage Blob Data Owner')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Flex Consumption holds one app per plan.
resource ingestPlan 'Microsoft.Web/serverfarms@2024-04-01' = if (separateIngestApp) {
  name: '${name}-ingest-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource ingestApp 'Microsoft.Web/sites@2024-04-01' = if (separateIngestApp) {
  name: '${name}-ingest-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: ingestPlan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}deployment-ingest'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      // The custom handler's package (functions/publish.sh), as in the default hosting model.
      runtime: hostingModels.customHandler.runtime
      scaleAndConcurrency: {
        // Event Hubs gives each instance at least one partition: more instances than partitions would idle.
        maximumInstanceCount: eventHubPartitions
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(appSettings, disabledOnTheIngestApp)
    }
  }
}

resource ingestDeploymentBlobAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (separateIngestApp) {
  scope: storage
  name: guid(storage.id, '${name}-ingest-${suffix}', 'Storage Blob Data Owner')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: ingestApp!.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
@description('The command that builds functionAppName\'s zip.')
output functionAppPublish string = hosting.publish
@description('With isolatedWorker: the custom-handler app that runs IngestEvents (zip: functions/publish.sh); empty otherwise.')
output ingestAppName string = separateIngestApp ? '${name}-ingest-${suffix}' : ''
output storageAccountName string = storage.name
output eventHubNamespace string = eventHubNamespace.name
output translatorEndpoint string = translator.properties.endpoint
