#!/usr/bin/env bash
# Runs ../shared/bench-peers with Herald variants beside its peers: h_<name> is another herald binary, environment,
# store or flags on the harness's own `serve` command line, so one run compares builds side by side.
#
#   HB_native=out/Herald.Cli bench/peers/run-variants.sh herald h_native nchan kfloor cfloor
#
# For each h_<name>: HB_<name> the binary (default: the harness's own build), HV_<name> environment ("A=1 B=2"),
# HS_<name> the store (default the harness's), HA_<name> extra flags. Everything else (REPEATS, SCENARIOS, OUT, ...)
# is the harness's, see its README. A variant without HB_<name> runs the harness's build: list `herald` too. With
# PEERS_KEEP_NGINX=1 the nchan peer installs only the module, keeping an nginx that is already there. The harness is
# copied (never edited in place) to $PEERS_COPY.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${PEERS_SHARED:-$here/../../../shared/bench-peers}
copy=${PEERS_COPY:-/tmp/bench-peers-variants}
[[ -f "$shared/run-peers.sh" ]] || { echo "run-variants: no harness at $shared (set PEERS_SHARED)" >&2; exit 2; }
rm -rf "$copy" && cp -r "$shared" "$copy" && chmod -R u+w "$copy"
python3 - "$copy/run-peers.sh" <<'PY'
import sys
path = sys.argv[1]
s = open(path).read()
def once(old, new):
    global s
    if s.count(old) != 1:
        sys.exit(f"run-variants: the harness changed, cannot find: {old.strip()[:60]}")
    s = s.replace(old, new)
import os
if os.environ.get("PEERS_KEEP_NGINX"):
    # The machine's nginx already loads the Nchan module: do not let apt swap it for nginx-light.
    once("install_missing nginx-light libnginx-mod-nchan", "install_missing libnginx-mod-nchan")
# a variant gets a publisher token like herald
once('\n    herald)', '\n    h_*)     HERALD_JWT=$(herald_token) ;;\n    herald)')
once('\n  "start_$peer"\n', '\n  case "$peer" in h_*) start_hvariant "$peer" || return 1 ;; *) "start_$peer" ;; esac\n')
start = s.index('\nstart_herald()')
s = s[:start] + r'''
# h_<v>: a Herald variant (bench/peers/run-variants.sh)
start_hvariant() {
  local v=${1#h_} bvar envvar avar svar
  bvar="HB_$v"; envvar="HV_$v"; avar="HA_$v"; svar="HS_$v"
  local bin=${!bvar:-$WORK/herald/Herald.Cli}
  [ -x "$bin" ] || { log "h_$v: no herald at $bin: set HB_$v, or list herald before it (the harness's build)"; return 1; }
  PORT=18120; PUB_PORT=18120; SUB_PATH='/.well-known/mercure?topic={topic}'; PUB_PATH='/.well-known/mercure'; PUB_FORMAT=form
  PUB_HEADER="Authorization: Bearer $HERALD_JWT"
  rm -rf "$WORK/herald-data" && mkdir -p "$WORK/herald-data"
  # shellcheck disable=SC2086
  (cd "$WORK/herald-data" && exec env ${!envvar:-} taskset -c "$SERVER_CPU" "$bin" serve --listen 127.0.0.1:18120 --jwt-key "$HERALD_KEY" \
    --anonymous --store "${!svar:-$HERALD_STORE}" ${!avar:-}) >>"$WORK/results/herald-$v.log" 2>&1 &
  PID=$!
}
''' + s[start:]
open(path, 'w').write(s)
PY
exec "$copy/run-peers.sh" "$@"
