#!/usr/bin/env bash
# After a deployment: checks what only a running Functions host shows, on either hosting model.
#   infra/smoke-test.sh URL [--key FUNCTION_KEY] [--ingest INGEST_URL]
# URL: the function app (functionAppUrl of infra/main.bicep). --key: a function key (az functionapp keys list);
# checks that the host refuses a write without it and routes one with it. --ingest: with hostingModel=isolatedWorker,
# the ingestion app (https://<ingestAppName>.azurewebsites.net): Health answers there, Recommendations is disabled.
# Needs curl. Exit 0 when every check passes; each failure prints one line.
set -uo pipefail

usage() { echo "usage: $0 URL [--key FUNCTION_KEY] [--ingest INGEST_URL]" >&2; exit 2; }
[ $# -ge 1 ] || usage
URL="${1%/}"; shift
KEY=""
INGEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --key) [ $# -ge 2 ] || usage; KEY="$2"; shift ;;
    --ingest) [ $# -ge 2 ] || usage; INGEST="${2%/}"; shift ;;
    *) usage ;;
  esac
  shift
done

failures=0
BODY="$(mktemp)"
trap 'rm -f "$BODY"' EXIT

# request METHOD URL [curl options...]: sets STATUS and TYPE, the body in $BODY.
request() {
  local method="$1" url="$2"; shift 2
  local out
  out=$(curl -sS -o "$BODY" -w '%{http_code} %{content_type}' -X "$method" --max-time 60 "$@" "$url") || out="000 -"
  STATUS="${out%% *}"
  TYPE="${out#* }"
}

# check WHAT RC: RC is the exit status of the condition just tested (0: as expected).
check() {
  if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1: $STATUS $TYPE $(head -c 300 "$BODY")"; failures=$((failures + 1)); fi
}

has() { grep -q -- "$1" "$BODY"; }

request GET "$URL/api/health"
[ "$STATUS" = 200 ] && has '"storageReachable"'
check "GET /api/health answers 200 with the model and storage state" $?

request GET "$URL/api/openapi.json"
[ "$STATUS" = 200 ] && has '"openapi"'
check "GET /api/openapi.json answers the OpenAPI document" $?

request GET "$URL/api/popular?market=XX"
[ "$STATUS" = 400 ] && [[ "$TYPE" == application/problem+json* ]] && has '"market"'
check "a bad market is a 400 Problem Details naming it" $?

# The API reads path ids from the raw request target: %2F must reach it undecoded through the host.
request GET "$URL/api/items/smoke%2Ftest/similar?market=DE"
{ [ "$STATUS" = 404 ] && has "'smoke/test'"; } || { [ "$STATUS" = 503 ] && has 'No model'; }
check "an id with %2F reaches the API as one id (404 naming it, or 503 before a model)" $?

request GET "$URL/api/recommendations/smoke-test?market=DE"
[ "$STATUS" = 401 ] && [[ "$TYPE" == application/problem+json* ]]
check "recommendations without a shopper token are 401" $?

if [ -n "$KEY" ]; then
  request POST "$URL/api/events" -H 'Content-Type: application/json' --data '[]'
  [ "$STATUS" = 401 ]
  check "the host refuses a write without a function key" $?
  request POST "$URL/api/events" -H 'Content-Type: application/json' -H "x-functions-key: $KEY" --data '[]'
  [ "$STATUS" = 200 ] && has '"accepted":0'
  check "a write with the key reaches the API (an empty batch accepts nothing)" $?
else
  echo "skip function-key checks (no --key)"
fi

if [ -n "$INGEST" ]; then
  request GET "$INGEST/api/health"
  [ "$STATUS" = 200 ] && has '"storageReachable"'
  check "the ingestion app answers health" $?
  request GET "$INGEST/api/popular?market=DE"
  [ "$STATUS" = 404 ]
  check "the ingestion app serves nothing but IngestEvents and Health (Popular disabled: 404)" $?
fi

[ "$failures" = 0 ] && echo "smoke test passed: $URL" || echo "smoke test: $failures failed" >&2
[ "$failures" = 0 ]
