#!/usr/bin/env bash
# Runs the Reliability test category N times (default 20) while a one-core CPU burner runs, and counts test-host
# crashes and failed tests. Usage: test/stress-reliability.sh [N]   (SKIP_BUILD=1 to reuse the current Release build)
# Prints one line per run and a summary; exit code 0 only when there was no crash and no failure.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
out=$(mktemp -d /tmp/stress-reliability.XXXXXX)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  dotnet build test/MLNet.Transfer.Tests -c Release > "$out/build.log" 2>&1 || { echo "build failed, see $out/build.log"; exit 1; }
fi

bash -c 'while :; do :; done' &   # the one-core burner
burner=$!
trap 'kill "$burner" 2>/dev/null' EXIT

crashes=0; failures=0; passed_total=0
start=$(date +%s)
for i in $(seq 1 "$runs"); do
  run_start=$(date +%s)
  dotnet test test/MLNet.Transfer.Tests -c Release --no-build --filter "TestCategory=Reliability" \
    --logger "trx;LogFileName=run.trx" --results-directory "$out/run-$i" > "$out/run-$i.log" 2>&1
  code=$?
  trx="$out/run-$i/run.trx"
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  p=$(get passed)
  f=$(( $(get failed || echo 0) + $(get error || echo 0) + $(get timeout || echo 0) + $(get aborted || echo 0) ))
  crashed=0
  if [ -z "$counters" ] || grep -qiE "test host process crashed|Test Run Aborted|active test run was aborted" "$out/run-$i.log"; then crashed=1; fi
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then crashed=1; fi
  crashes=$((crashes + crashed)); failures=$((failures + f)); passed_total=$((passed_total + ${p:-0}))
  echo "run $i/$runs: exit $code, passed ${p:-0}, failed $f, host crash $crashed, $(( $(date +%s) - run_start )) s"
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); cpu: $cpu ($(nproc) cores), one core burnt; runs: $runs; host crashes: $crashes;" \
     "failed tests: $failures; passed tests: $passed_total; duration: $(( $(date +%s) - start )) s; logs: $out"
[ "$crashes" -eq 0 ] && [ "$failures" -eq 0 ]
