"""Pad probe helpers shared by the tests and their child scripts (no GStreamer import here)."""

from __future__ import annotations


def probe_buffers(info) -> list:
    """The buffers a BUFFER | BUFFER_LIST pad probe sees: the one buffer, or every buffer of the
    list (rtmpsrc pushes what one read brought as one buffer list)."""
    blist = info.get_buffer_list()
    if blist is not None:
        return [blist.get(i) for i in range(blist.length())]
    return [info.get_buffer()]
