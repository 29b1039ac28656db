#!/usr/bin/env bash
# The floor under any handler's cold start on this machine: an empty minimal-API app (slim builder, one MapGet
# that returns a constant) published the ways the handler can be, each timed by cold-start-probe.sh.
#   tests/benchmarks/cold-start-floor.sh [-n N]
# Needs the .NET SDK; the Native AOT variant also clang (skipped with a message when there is none).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNS=5
if [ "${1:-}" = "-n" ]; then RUNS="$2"; fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/empty.csproj" <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
PROJECT
cat >"$WORK/Program.cs" <<'PROGRAM'
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, int.Parse(builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"]!)));
var app = builder.Build();
app.MapGet("/api/recommendations/{id}", (string id) => Results.Text("{\"items\":[{}]}", "application/json"));
app.Run();
PROGRAM

# No build servers left running: they would share the cores with what is measured.
publish() { dotnet publish "$WORK/empty.csproj" -c Release -r linux-x64 -o "$WORK/$1" -v q --nologo --disable-build-servers "${@:2}" >/dev/null; }
publish fd-r2r --self-contained false -p:PublishReadyToRun=true
publish composite --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true
# Each runs in its own folder, as the Functions host starts a handler: the content root is the working directory,
# and a large one (this repository) costs the host's file watcher about 70 ms of start.
probe() { (cd "$WORK/$1" && "$HERE/cold-start-probe.sh" -n "$RUNS" -- "${@:2}"); }
echo "JIT, framework-dependent ReadyToRun (what functions/publish.sh --no-aot builds):"
probe fd-r2r dotnet empty.dll
echo "JIT, self-contained composite ReadyToRun, DOTNET_TieredPGO=0:"
DOTNET_TieredPGO=0 probe composite ./empty
CLANG=$(command -v clang || compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -V | tail -1 || true)
if [ -n "$CLANG" ]; then
  publish aot -p:PublishAot=true -p:IlcInstructionSet=x86-64-v3 -p:CppCompilerAndLinker="$CLANG"
  echo "Native AOT (what functions/publish.sh builds):"
  probe aot ./empty
else
  echo "Native AOT: skipped (no clang)"
fi
