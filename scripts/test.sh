#!/usr/bin/env bash
# Installs what is needed, builds twice (normal, and ASan+UBSan), runs the whole suite in both,
# and ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
run_suite() {  # $1 build dir, rest: meson setup options
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" -Dintegration=enabled >/dev/null || { echo "meson setup $dir failed"; return 1; }
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2 || return 1
}

run_suite build || status=1
# Element tests again under valgrind memcheck (definite leaks and memory errors fail).
meson test -C build --setup valgrind --suite elements --print-errorlogs || status=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build-sanitize -Dsanitize=true || status=1

# libFuzzer targets, briefly (clang, ASan+UBSan); each run counts as one test in the summary.
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
fuzz_log=build/fuzz-testlog.json
: > "$fuzz_log"
bash scripts/fuzz.sh "$FUZZ_SECONDS" | tee build/fuzz.txt || status=1
while IFS= read -r line; do
  name=${line%%:*}
  case "$line" in
    *"no findings"*) echo "{\"name\": \"$name\", \"result\": \"OK\"}" >> "$fuzz_log" ;;
    fuzz_*FAILED*) echo "{\"name\": \"$name\", \"result\": \"FAIL\"}" >> "$fuzz_log" ;;
  esac
done < build/fuzz.txt
[ -s "$fuzz_log" ] || echo '{"name": "fuzz build", "result": "FAIL"}' >> "$fuzz_log"

python3 scripts/summarize.py build/meson-logs/testlog.json build/meson-logs/testlog-valgrind.json \
  build-sanitize/meson-logs/testlog.json "$fuzz_log"
exit $status
