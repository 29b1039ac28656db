#!/usr/bin/env bash
# Builds the function app for deployment: the handler (Native AOT by default) plus host.json and one folder
# per function, zipped for `az functionapp deployment source config-zip` or a Flex Consumption deploy.
#   functions/publish.sh [--no-aot] [--out DIR] [--encoder DIR]
#   functions/publish.sh --worker [--out DIR] [--encoder DIR]
# --worker builds the isolated-worker app instead (ServerlessReco.Functions.Worker: host.json, functions.metadata,
# the worker and its host extensions), ReadyToRun, since the isolated worker cannot run Native AOT.
# --encoder copies a sentence encoder folder into the package as encoder/, for RECO_ENCODER_DIR=encoder (semantic search).
# Native AOT needs clang and zlib1g-dev (Debian: apt-get install -y clang zlib1g-dev). With --no-aot the app is
# framework-dependent: set host.json's defaultExecutablePath to "dotnet" and arguments to ["reco-handler.dll"].
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$HERE/ServerlessReco.Functions/ServerlessReco.Functions.csproj"
WORKER_PROJECT="$HERE/ServerlessReco.Functions.Worker/ServerlessReco.Functions.Worker.csproj"
OUT="$HERE/../artifacts/functionapp"
AOT=true
WORKER=false
ENCODER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-aot) AOT=false ;;
    --worker) WORKER=true ;;
    --out) OUT="$2"; shift ;;
    --encoder) ENCODER="$2"; shift ;;
    *) echo "usage: $0 [--no-aot | --worker] [--out DIR] [--encoder DIR]" >&2; exit 2 ;;
  esac
  shift
done

rm -rf "$OUT/app"
mkdir -p "$OUT/app"
if [ "$WORKER" = true ]; then
  # ReadyToRun is the isolated worker's start-up optimisation (no Native AOT there); framework-dependent, as the
  # dotnet-isolated runtime of the platform provides .NET.
  dotnet publish "$WORKER_PROJECT" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$OUT/app"
elif [ "$AOT" = true ]; then
  # Debian installs versioned compilers (clang-14) without a plain `clang` unless the clang package is there.
  CLANG=$(command -v clang || compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -V | tail -1 || true)
  [ -n "$CLANG" ] || { echo "publish.sh: Native AOT needs clang (apt-get install -y clang zlib1g-dev), or pass --no-aot" >&2; exit 1; }
  dotnet publish "$PROJECT" -c Release -r linux-x64 -p:PublishAot=true -p:CppCompilerAndLinker="$CLANG" -o "$OUT/app"
else
  # ReadyToRun: the app's and its packages' code precompiled, so the first requests are not waiting on the JIT
  # (Online Retail cold start on the 2-core VM, medians: 925 ms without, 773-824 ms with; tests/benchmarks/serve.md).
  dotnet publish "$PROJECT" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$OUT/app"
  # The host starts the handler through dotnet when there is no native executable.
  sed -i -e 's|"defaultExecutablePath": "reco-handler"|"defaultExecutablePath": "dotnet"|' \
         -e 's|"arguments": \[\]|"arguments": ["reco-handler.dll"]|' "$OUT/app/host.json"
fi
if [ -n "$ENCODER" ]; then
  [ -f "$ENCODER/model.onnx" ] || { echo "publish.sh: $ENCODER holds no model.onnx (./reco jobs install-encoder --output DIR)" >&2; exit 1; }
  mkdir -p "$OUT/app/encoder"
  cp "$ENCODER"/model.onnx "$ENCODER"/*.json "$OUT/app/encoder/"
  cp "$ENCODER"/vocab.txt "$ENCODER"/*.model "$OUT/app/encoder/" 2>/dev/null || true
fi
# Debug symbols stay out of the deployed package.
find "$OUT/app" -name '*.dbg' -o -name '*.pdb' | xargs -r rm -f
rm -f "$OUT/functionapp.zip"
(cd "$OUT/app" && zip -qr "$OUT/functionapp.zip" .)
echo "function app: $OUT/functionapp.zip"
