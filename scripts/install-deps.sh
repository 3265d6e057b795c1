#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on Debian 12 (as root, or via sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev clang-format
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libssl-dev libgtest-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  nginx libnginx-mod-rtmp libnginx-mod-stream dante-server microsocks openssl ffmpeg python3 python3-pytest python3-gi gir1.2-gstreamer-1.0 valgrind
  dpkg-dev debhelper googletest git
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged nginx service is not used (tests run their own instances); keep it from holding ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  $SUDO systemctl stop nginx || true
fi
# node-media-server, the test peer that relays Enhanced RTMP video (tests/integration/nms.py):
# Debian's nodejs/npm when node is missing, the pinned package from npm into a cache directory
# outside the git tree (RTMP_TEST_NMS_DIR overrides it; nms.py looks in the same place).
NMS_VERSION=4.4.3
NMS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/gst-rtmp-native"
NMS_DIR="${RTMP_TEST_NMS_DIR:-$NMS_CACHE/node-media-server-$NMS_VERSION}"
node_packages=()
command -v node >/dev/null 2>&1 || node_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || node_packages+=(npm)
if [ ${#node_packages[@]} -gt 0 ]; then
  echo "Installing: ${node_packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${node_packages[@]}" >/dev/null
fi
if ! grep -qs "\"version\": \"$NMS_VERSION\"" \
    "$NMS_DIR/node_modules/node-media-server/package.json"; then
  echo "Installing node-media-server $NMS_VERSION into $NMS_DIR"
  mkdir -p "$NMS_DIR"
  # --ignore-scripts: nothing of the package runs at install time. Its manifest asks for node 20;
  # npm's default (engine-strict off) installs it for Debian 12's node 18 too, which runs it
  # (checked with 18.20.4 and 20).
  npm install --prefix "$NMS_DIR" --no-audit --no-fund --omit=dev --ignore-scripts \
    --no-package-lock "node-media-server@$NMS_VERSION" >/dev/null
fi
