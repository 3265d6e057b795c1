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
