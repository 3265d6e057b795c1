"""Pad probe helpers shared by the tests and their child scripts (no GStreamer import here)."""

from __future__ import annotations


_BUFFER_LIST = 1 << 5  # GST_PAD_PROBE_TYPE_BUFFER_LIST


def probe_buffers(info) -> list:
    """The buffers a BUFFER | BUFFER_LIST pad probe sees: the one buffer, or every buffer of the
    list (rtmpsrc pushes what one read brought as one buffer list). On a source pad each buffer
    passes once. On a sink pad whose element has no chain-list function GStreamer splits the
    list after the probe and the probe sees each buffer a second time: probe the source pad."""
    if int(info.type) & _BUFFER_LIST:
        blist = info.get_buffer_list()
        return [blist.get(i) for i in range(blist.length())]
    return [info.get_buffer()]
