// ServerlessReco on Azure: one storage account (event log, dead letters, models, tables), Event Hubs for
// storefront events, Azure AI Translator, and the custom-handler function app on Flex Consumption.
// Deploy: az deployment group create -g <rg> -f infra/main.bicep -p pseudonymKey=<secret> shopperTokenSecret=<secret>
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

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${suffix}')
var containers = ['events', 'deadletter', 'tombstones', 'models', 'catalog', 'impressions', 'reports', 'deployment']
// catalogchanges: the catalogue change feed; the Native AOT handler writes it and cannot create tables itself.
var tables = ['items', 'catalogchanges', 'events', 'translations']

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
      // A custom handler: the host starts the Native AOT executable named in host.json.
      runtime: { name: 'custom', version: '1.0' }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
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

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output storageAccountName string = storage.name
output eventHubNamespace string = eventHubNamespace.name
output translatorEndpoint string = translator.properties.endpoint
