#!/usr/bin/env bash
# Cold start of an HTTP process, the way the Functions host sees one: start it with FUNCTIONS_CUSTOMHANDLER_PORT,
# then request PATH every 5 ms until a 200 whose body contains "items":[{ comes back; repeat N times.
#   tests/benchmarks/cold-start-probe.sh [-n N] [-p PATH] [-a AUTHORIZATION] -- COMMAND [ARGS...]
# Recommendations need the shopper's token: -a "Bearer $(./reco jobs shopper-token 12347 --hours 24)".
# The probe is bash built-ins only (/dev/tcp, EPOCHREALTIME): polling starts no processes that would take CPU
# from the one being measured. Storage settings (RECO_STORAGE_CONNECTION_STRING, RECO_STORAGE_PREFIX) come from
# the environment.
set -euo pipefail
RUNS=5
URL_PATH="/api/recommendations/12347?market=GB&count=20"
AUTHORIZATION=""
refused=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    -p) URL_PATH="$2"; shift 2 ;;
    -a) AUTHORIZATION="Authorization: $2"$'\r\n'; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-n N] [-p PATH] [-a AUTHORIZATION] -- COMMAND [ARGS...]" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-n N] [-p PATH] [-a AUTHORIZATION] -- COMMAND [ARGS...]" >&2; exit 2; }

free_port() { for p in $(shuf -i 20000-60000 -n 50); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

answered() {
  local port=$1 response
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n' "$URL_PATH" "$AUTHORIZATION" >&3
  IFS= read -r -d '' response <&3 || true
  exec 3<&-
  [[ "$response" == "HTTP/1.1 401"* || "$response" == "HTTP/1.1 403"* ]] && refused=1
  [[ "$response" == "HTTP/1.1 200"* && "$response" == *'"items":[{'* ]]
}

# A 5 ms wait without starting a process: read with a timeout on a pipe nothing ever writes to.
exec 9<> <(:)
times=()
for _ in $(seq 1 "$RUNS"); do
  port=$(free_port)
  start=$EPOCHREALTIME
  FUNCTIONS_CUSTOMHANDLER_PORT=$port "$@" >/dev/null 2>&1 &
  pid=$!
  until answered "$port" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the process exited before answering" >&2; exit 1; }
    # Waiting would never end: the request itself is refused.
    [ -z "$refused" ] || { kill "$pid"; echo "$URL_PATH needs a valid -a 'Bearer TOKEN'" >&2; exit 3; }
    read -r -t 0.005 -u 9 _ || true
  done
  end=$EPOCHREALTIME
  kill "$pid"; wait "$pid" 2>/dev/null || true
  times+=("$(( (${end/[.,]/} - ${start/[.,]/}) / 1000 ))")
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "cold start: median ${sorted[$(( RUNS / 2 ))]} ms; all ${times[*]} ms ($*)"
