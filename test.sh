#!/usr/bin/env bash
# Builds the solution and runs every test project; ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK (dotnet) is required." >&2
  exit 2
fi

# The /metrics tests check the page with Prometheus' own linter (Debian package prometheus ships promtool).
if ! command -v promtool >/dev/null; then
  echo "Installing promtool (Debian package prometheus)..."
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } \
    || echo "Could not install prometheus (promtool); the /metrics lint tests will fail." >&2
fi

passed=0 failed=0 skipped=0
if ! dotnet build EdgeCloudVlm.sln -c Release -nologo -v quiet; then
  echo "Build failed."
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

for project in tests/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  log="$(mktemp)"
  echo "== $name"
  dotnet test "$project" -c Release -nologo "$@" 2>&1 | tee "$log" | grep -E "^(Passed!|Failed!)" || true
  # Each failed test with its whole error message (up to its stack trace), so a rare failure can be diagnosed from CI.
  sed -n '/^[[:space:]]*Failed [^!]/,/^[[:space:]]*Stack Trace:/p' "$log" | grep -v "Stack Trace:" || true
  summary="$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log" | tail -1)"
  if [[ -z "$summary" ]]; then
    echo "   $name produced no test summary (crash or build problem); counting it as one failure."
    tail -30 "$log"
    failed=$((failed + 1))
  else
    f="$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")"
    p="$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")"
    s="$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  fi
  rm -f "$log"
done

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
