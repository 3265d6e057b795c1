#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for N seconds (default 60).
# Seeds come from fuzz/corpus/TARGET; new inputs go to a scratch copy, so the repo stays small.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     Prints the executions of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(amf0 auth chunk_reader client_connection enhanced_tags flv_demux flv_mux flv_reader handshake rtmpt_codec socks_client)
dir=${FUZZ_BUILD_DIR:-fuzz-build}
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" -Dfuzzing=true -Dsanitize=true -Dintegration=disabled >/dev/null
fi
ninja -C "$dir" $(printf 'fuzz/fuzz_%s ' "${targets[@]}") >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "fuzz/corpus/$t"
  log="$scratch/$t.log"
  if "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
       -artifact_prefix="$scratch/$t-" "$scratch/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz_$t: ${seconds} s, ${execs:-?} executions, no findings"
  else
    echo "fuzz_$t: FAILED (see below)"
    tail -40 "$log"
    mkdir -p fuzz/artifacts && cp "$scratch/$t"-* fuzz/artifacts/ 2>/dev/null || true
    status=1
  fi
done
exit $status
