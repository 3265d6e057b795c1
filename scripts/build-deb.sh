#!/usr/bin/env bash
# Builds the Debian package gstreamer1.0-rtmp-native from this tree into OUTDIR (default:
# build-deb/ at the top of the tree):   scripts/build-deb.sh [OUTDIR]
#
# The package is built from a copy of the files git knows about (tracked, plus untracked files
# that .gitignore does not exclude) in a temporary directory, so the tree's build*/ directories and
# other leftovers never reach the package, and the tree stays clean. Needs dpkg-dev, debhelper and
# the Build-Depends of debian/control (scripts/install-system.sh installs them).
# DEB_BUILD_OPTIONS is passed through: DEB_BUILD_OPTIONS=nocheck builds only the plugin and runs
# no tests; by default the unit suite runs during the build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in git dpkg-buildpackage dh; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-deb.sh: $tool not found (install git, dpkg-dev and debhelper)" >&2
    exit 1
  fi
done
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  echo "build-deb.sh: $top is not a git checkout" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gst-rtmp-native-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/gst-rtmp-native
mkdir -p "$src"
# Files only (a deleted but still tracked file is skipped); symlinks are copied as links.
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$top" && while IFS= read -r -d '' f; do
     [ -e "$f" ] || [ -L "$f" ] || continue
     printf '%s\0' "$f"
   done) |
  (cd "$top" && xargs -0 cp --parents -P -t "$src" --)

version=$(cd "$src" && dpkg-parsechangelog -S Version)
echo "build-deb.sh: building gstreamer1.0-rtmp-native $version in $work"
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  echo "build-deb.sh: dpkg-buildpackage failed (last lines above)" >&2
  exit 1
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=gstreamer1.0-rtmp-native_${version}_${arch}.deb
cp "$work/$deb" "$out/"
cp "$work/build.log" "$out/gstreamer1.0-rtmp-native_${version}_${arch}.build.log"
echo "$out/$deb"
