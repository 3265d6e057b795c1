#!/usr/bin/env bash
# Installs everything, builds, and runs the loopback demo (see scripts/demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build gst/libgstrtmp.so >/dev/null  # the demo needs the plugin only
exec /usr/bin/python3 scripts/demo.py
