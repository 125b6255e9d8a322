#!/usr/bin/env bash
# Publish→receive latency across two Redis-backed nodes behind the example nginx config, against one node on the
# embedded SQLite store: 1,000 subscribers, one topic, 200-byte payloads, 200 publishes/s. Loopback only; every
# process it starts is stopped on exit. Needs redis-server and nginx (Debian packages) and a Release build:
#   dotnet build -c Release src/Herald.Cli && bash bench/cluster/run.sh [publishes]
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-2000}
cli="dotnet $PWD/src/Herald.Cli/bin/Release/net10.0/Herald.Cli.dll"
key="cluster-benchmark-key-of-at-least-32-bytes"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; nginx -p "$tmp" -c "$tmp/nginx.conf" -g "pid $tmp/nginx.pid;" -s stop 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
keep_logs() { cat "$tmp"/*.log >&2 2>/dev/null || true; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

wait_ready() { for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "node on $1 not ready" >&2; keep_logs; exit 1; }

redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always --dir "$tmp" --daemonize no >/dev/null &
pids+=($!)
for _ in $(seq 1 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done

for port in 5081 5082; do
  (cd "$tmp" && exec $cli serve --listen 127.0.0.1:$port --jwt-key "$key" --store redis://127.0.0.1:6390 >"$tmp/node-$port.log" 2>&1) &
  pids+=($!)
  wait_ready $port
done
sed "s#error_log .*##" docs/deploy/nginx.conf > "$tmp/nginx.conf"
nginx -p "$tmp" -c "$tmp/nginx.conf" -g "pid $tmp/nginx.pid; error_log $tmp/nginx-error.log;"
wait_ready 8080

echo "== two Redis nodes behind nginx"
$cli bench --hub http://127.0.0.1:8080/.well-known/mercure --jwt-key "$key" --subscribers 1000 --rate 200 \
  --messages "$messages" --payload 200 --json "$tmp/cluster.json"
cp "$tmp/cluster.json" bench/cluster/last-cluster.json

(cd "$tmp" && exec $cli serve --listen 127.0.0.1:5083 --jwt-key "$key" --store "sqlite:$tmp/one.db" >"$tmp/node-5083.log" 2>&1) &
pids+=($!)
wait_ready 5083
echo "== one node, embedded SQLite store"
$cli bench --hub http://127.0.0.1:5083/.well-known/mercure --jwt-key "$key" --subscribers 1000 --rate 200 \
  --messages "$messages" --payload 200 --json "$tmp/single.json"
cp "$tmp/single.json" bench/cluster/last-single.json
$cli bench compare "$tmp/single.json" "$tmp/cluster.json"
