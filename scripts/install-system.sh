#!/usr/bin/env bash
# Installs gst-rtmp-native for every user of this Debian 12 (or Debian-based) machine, as the
# Debian package gstreamer1.0-rtmp-native built from this tree:
#
#   ./scripts/install-system.sh [OUTDIR]       (as root, or it asks sudo for the apt-get steps)
#
# 1. installs the tools and the package's Build-Depends (debian/control) with apt-get,
# 2. builds the .deb into OUTDIR (default build-deb/) with scripts/build-deb.sh; the unit suite
#    runs during the build (DEB_BUILD_OPTIONS=nocheck skips it),
# 3. installs it with apt-get: its preinst diverts gst-plugins-bad's libgstrtmp.so out of
#    GStreamer's plugin directory (dpkg-divert), so GStreamer loads this plugin instead,
# 4. checks with gst-inspect-1.0 that rtmpsink is now this plugin's.
# Uninstall (puts gst-plugins-bad's plugin back): sudo apt-get remove gstreamer1.0-rtmp-native
# See docs/install.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-system.sh: run it as root (sudo is not installed)" >&2
    exit 1
  fi
  SUDO="sudo"
fi
apt_get() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get "$@"; }

echo "== 1/4 build dependencies"
apt_get update -qq
apt_get install -y -qq --no-install-recommends git dpkg-dev debhelper >/dev/null
apt_get build-dep -y -qq "$top" >/dev/null

echo "== 2/4 building the package"
deb=$("$top/scripts/build-deb.sh" "$out" | tail -n 1)

echo "== 3/4 installing $deb"
apt_get install -y -qq --no-install-recommends "$deb"
dpkg-divert --list '*libgstrtmp.so*'

echo "== 4/4 checking"
if command -v gst-inspect-1.0 >/dev/null; then
  details=$(env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 gst-inspect-1.0 rtmpsink)
  if ! grep -Eq '^ +Source module +gst-rtmp-native$' <<<"$details"; then
    echo "$details" | sed -n '/Plugin Details/,/^$/p' >&2
    echo "install-system.sh: installed, but gst-inspect-1.0 rtmpsink is not gst-rtmp-native's" >&2
    exit 1
  fi
  sed -n '/Plugin Details/,/^$/p' <<<"$details" | grep -E 'Description|Filename|Version'
else
  echo "(gst-inspect-1.0 not installed: apt-get install gstreamer1.0-tools to check)"
fi
echo "gst-rtmp-native is installed: rtmpsink and rtmpsrc are its elements for every user."
