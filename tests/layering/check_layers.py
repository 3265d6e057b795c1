#!/usr/bin/env python3
"""Fails if a file includes a header it must not see.

The core folders (sans-I/O, the C++ standard library only) may include each other only as
listed in CORE. transport/ sees the core; session/ sees the core and transport/; neither sees
gst/ or GStreamer. gst/ sees GStreamer, the session's public headers and the core's FLV and
AMF0 helpers, never transport/ or the RTMP machinery under the session.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
include = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# core folder -> the core folders it may include (itself included)
CORE = {
    "util": {"util"},
    "hash": {"util", "hash"},
    "rtmp": {"util", "hash", "rtmp"},
    "flv": {"util", "rtmp", "flv"},
    "proxy": {"util", "proxy"},
    "tunnel": {"util", "tunnel"},
    "config": {"util", "hash", "rtmp", "proxy", "config"},
}
LAYER2 = {
    "transport": set(CORE) | {"transport"},
    "session": set(CORE) | {"transport", "session"},
}
# What gst/ may include from src/ (folder, or folder/file).
GST_ALLOWED = {"session", "config", "flv", "util", "rtmp/defaults.hpp", "rtmp/amf0.hpp", "rtmp/message.hpp", "rtmp/url.hpp",
               "rtmp/url_options.hpp", "rtmp/client_connection.hpp"}
problems = []


def sources(folder):
    return sorted(p for p in (root / folder).glob("*.[ch]pp"))


def folder_of(name):
    return name.split("/", 1)[0] if "/" in name else None


for folder, allowed in CORE.items():
    for path in sources(f"src/{folder}"):
        for kind, name in include.findall(path.read_text(encoding="utf-8")):
            if kind == '"' and folder_of(name) not in allowed:
                problems.append(f"{path}: core folder {folder}/ includes \"{name}\"")
            if kind == "<" and ("/" in name or name.endswith(".h")):
                problems.append(f"{path}: core includes system/library header <{name}>")

for folder, allowed in LAYER2.items():
    for path in sources(f"src/{folder}"):
        for kind, name in include.findall(path.read_text(encoding="utf-8")):
            if kind == '"' and folder_of(name) not in allowed:
                problems.append(f"{path}: {folder}/ includes \"{name}\"")
            if kind == "<" and name.startswith("gst/"):
                problems.append(f"{path}: {folder}/ includes GStreamer header <{name}>")

stray = sorted(p for p in (root / "src").glob("*.[ch]pp"))
problems += [f"{p}: source file outside the layer folders" for p in stray]

for path in sources("gst"):
    for kind, name in include.findall(path.read_text(encoding="utf-8")):
        if kind != '"' or "/" not in name:
            continue  # system headers, and gst/'s own files
        if folder_of(name) not in GST_ALLOWED and name not in GST_ALLOWED:
            problems.append(f"{path}: element includes \"{name}\" (not part of the session's API)")

for p in problems:
    print(p)
print(f"{len(problems)} layering problems")
sys.exit(1 if problems else 0)
