"""What gst-inspect-1.0 shows about the plugin and its elements: no placeholders.

GST_PLUGIN_DEFINE's origin is the URL of the package's home; this project has none in public,
so it must be GStreamer's own wording for that ("Unknown package origin", what GStreamer's
modules report when it is not configured) or a real http(s) URL."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

import harness as H

PLACEHOLDER = re.compile(r"example\.(invalid|com|org|net)|\.invalid\b|\bTODO\b|\bFIXME\b|\bXXX\b|"
                         r"placeholder|lorem|\bTBD\b|your[ -]name|<[a-z ]+>", re.I)


def inspect(*args: str) -> str:
    r = subprocess.run([H.GST_INSPECT, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"gst-inspect-1.0 {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def details(text: str, key: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(rf"^\s+{re.escape(key)}\s{{2,}}(.*)$",
                                                    text, re.M)]


def test_plugin_details(tools):
    text = inspect("rtmp")
    expected_file = os.environ.get("RTMP_PLUGIN_FILE")
    if expected_file:
        assert details(text, "Filename") == [expected_file], text
    origin = details(text, "Origin URL")
    assert len(origin) == 1, text
    assert origin[0] == "Unknown package origin" or \
        re.match(r"^https?://[\w.-]+\.[a-z]{2,}/\S*$", origin[0]), origin
    for key in ("Description", "Version", "License", "Source module", "Binary package"):
        values = details(text, key)
        assert values and all(values), (key, text)
    assert "rtmpsink: RTMP sink" in text and "rtmpsrc: RTMP source" in text, text
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text).group(0) + "\n" + text


@pytest.mark.parametrize("element", ["rtmpsink", "rtmpsrc"])
def test_element_metadata(tools, element):
    text = inspect(element)
    header = text.split("Plugin Details:", 1)[0]
    for key in ("Long-name", "Klass", "Description", "Author"):
        values = details(header, key)
        assert len(values) == 1 and values[0], (key, header)
    assert details(header, "Klass")[0] == ("Sink/Network" if element == "rtmpsink"
                                           else "Source/Network")
    # Everything gst-inspect shows: factory, plugin, pads and property descriptions.
    for line in text.splitlines():
        # Property defaults name localhost and an example stream on purpose (they are real
        # defaults); nothing else may look like a placeholder.
        m = PLACEHOLDER.search(line)
        assert not m, f"placeholder {m.group(0)!r} in: {line.strip()}"
