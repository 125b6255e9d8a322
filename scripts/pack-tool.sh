#!/usr/bin/env bash
# Packs the herald .NET tool into OUT_DIR (default: pkg): the pointer package Herald.Cli, the native herald for
# linux-x64 (Herald.Cli.linux-x64, Native AOT; needs clang and a linux-x64 machine, several minutes) and the portable
# fallback for every other RID (Herald.Cli.any). `dotnet tool install` reads the pointer and takes the package for
# the machine's RID, else `any`.
#
#   bash scripts/pack-tool.sh [--portable] [OUT_DIR]
#
# --portable packs only the pointer and Herald.Cli.any, with the pointer listing just `any`, so every machine installs
# the framework-dependent herald (no clang, seconds instead of minutes). Publish the packages of one run together:
# each pointer names its RID packages at its own version.
set -euo pipefail
cd "$(dirname "$0")/.."

portable=false
if [[ "${1:-}" == "--portable" ]]; then
  portable=true
  shift
fi
out="${1:-pkg}"
project=src/Herald.Cli

if $portable; then
  # The pointer must list only `any`, or a linux-x64 machine would look for Herald.Cli.linux-x64 and not find it.
  dotnet pack "$project" -c Release -o "$out" -p:ToolPackageRuntimeIdentifiers=any
else
  dotnet pack "$project" -c Release -o "$out"
  dotnet pack "$project" -c Release -r linux-x64 -o "$out"
fi
dotnet pack "$project" -c Release -r any -o "$out"
ls -l "$out"/Herald.Cli.*nupkg
