#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what is needed, then:
#   1. the ASan+UBSan build runs every suite: layering, unit, session, element and integration
#      tests (integration tests two at a time, each with its own servers and ports);
#   2. the normal (debugoptimized) build runs the element tests under valgrind memcheck and, at
#      the same time, the install tests (a Debian package in a throwaway root; a GoogleTest
#      fallback build from subprojects/);
#   3. the libFuzzer targets run briefly (clang, ASan+UBSan).
# Ends with one line: "N passed, N failed, N skipped". Each phase prints its duration.
# `meson test -C build` runs every suite on the normal build as well (not done here: CI time).
set -uo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phase() { echo "== [$((SECONDS - started)) s] $*"; }

phase "installing dependencies"
bash scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
setup() {  # $1 build dir, rest: meson setup options
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] && return 0
  meson setup "$dir" "$@" -Dintegration=enabled >/dev/null || { echo "meson setup $dir failed"; return 1; }
}

# 1. Sanitizer build: -O1 (and -O0 for the test code, tests/meson.build), line tables only.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
phase "building build-sanitize (ASan+UBSan)"
if setup build-sanitize -Dsanitize=true -Doptimization=1 && ninja -C build-sanitize >/dev/null; then
  phase "testing build-sanitize: every suite"
  meson test -C build-sanitize --no-rebuild --print-errorlogs --num-processes 2 || status=1
else
  echo "build-sanitize did not build"; ninja -C build-sanitize | tail -40; status=1
fi

# 2. Normal build: the plugin and the element tests (the other suites ran above).
phase "building build (plugin and element tests)"
if setup build && element_targets=$(python3 scripts/suite_targets.py build elements) &&
    ninja -C build gst/libgstrtmp.so $element_targets >/dev/null; then
  phase "testing build: elements under valgrind, install tests alongside"
  meson test -C build --no-rebuild --suite install --print-errorlogs --num-processes 1 \
    >build/install-tests.txt 2>&1 &
  install_pid=$!
  meson test -C build --no-rebuild --setup valgrind --suite elements --print-errorlogs \
    --num-processes 2 || status=1
  wait "$install_pid" || status=1
  cat build/install-tests.txt
else
  echo "build did not build"; ninja -C build | tail -40; status=1
fi

# 3. libFuzzer targets, briefly; each run counts as one test in the summary.
FUZZ_SECONDS=${FUZZ_SECONDS:-6}
phase "fuzzing, $FUZZ_SECONDS s per target"
mkdir -p build
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

phase "done"
python3 scripts/summarize.py build-sanitize/meson-logs/testlog.json \
  build/meson-logs/testlog-valgrind.json build/meson-logs/testlog.json "$fuzz_log" || status=1
exit $status
