#!/usr/bin/env python3
"""Fails if a layer includes a header from a layer above it.

src/rtmp/ (protocol core): only the C++ standard library and "rtmp/..." headers.
src/ (session): anything but gst/ headers (and no GStreamer includes).
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
include = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
problems = []

for path in sorted((root / "src" / "rtmp").glob("*.[ch]pp")):
    for kind, name in include.findall(path.read_text(encoding="utf-8")):
        if kind == '"' and not name.startswith("rtmp/"):
            problems.append(f"{path}: core includes non-core header \"{name}\"")
        if kind == "<" and ("/" in name or name.endswith(".h")):
            problems.append(f"{path}: core includes system/library header <{name}>")

gst_headers = {p.name for p in (root / "gst").glob("*.hpp")}
for path in sorted((root / "src").glob("*.[ch]pp")):
    for kind, name in include.findall(path.read_text(encoding="utf-8")):
        if name.startswith("gst/") or name in gst_headers:
            problems.append(f"{path}: session includes GStreamer/element header {name}")

for p in problems:
    print(p)
print(f"{len(problems)} layering problems")
sys.exit(1 if problems else 0)
