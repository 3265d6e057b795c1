"""Integration-test harness: the external programs the tests drive and the
element under test (see harness.py)."""

from __future__ import annotations

import os
import shutil


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
GST_LAUNCH = shutil.which("gst-launch-1.0") or "/usr/bin/gst-launch-1.0"
GST_INSPECT = shutil.which("gst-inspect-1.0") or "/usr/bin/gst-inspect-1.0"

SINK = os.environ.get("RTMP_TEST_SINK", "rtmpsink")

LOOPBACK = "127.0.0.1"


def missing_tools() -> list[str]:
    """Names of required external tools that are not installed."""
    missing = [p for p in (NGINX, FFMPEG, FFPROBE, GST_LAUNCH) if not os.access(p, os.X_OK)]
    if not os.path.exists(RTMP_MODULE):
        missing.append(RTMP_MODULE)
    return missing
