#!/usr/bin/env bash
# Runs every test suite: the .NET solution (library, CLI, clients, stores), then the TypeScript client in Node and
# headless Chromium. Prints each suite's output, then one line "N passed, M failed" summed over all of them.
# Exits non-zero when a build or any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# .NET first: the JS integration tests run the CLI that this build produces.
dotnet test Herald.slnx 2>&1 | tee -a "$log" || status=1

if [[ ! -d clients/js/node_modules ]]; then
  (cd clients/js && npm ci --no-audit --no-fund) 2>&1 | tee -a "$log" || status=1
fi
(cd clients/js && npm test) 2>&1 | tee -a "$log" || status=1

# dotnet: "Passed!  - Failed: N, Passed: M, …" per project; node --test: "# pass M" and "# fail N".
read -r passed failed < <(
  {
    grep -E '^\s*(Passed|Failed)!\s+- Failed:\s+[0-9]+, Passed:\s+[0-9]+' "$log" \
      | sed -E 's/.*Failed:\s+([0-9]+), Passed:\s+([0-9]+).*/\2 \1/'
    grep -E '^# pass [0-9]+$' "$log" | sed -E 's/# pass ([0-9]+)/\1 0/'
    grep -E '^# fail [0-9]+$' "$log" | sed -E 's/# fail ([0-9]+)/0 \1/'
  } | awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }'
)

if ((failed > 0)); then
  status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
