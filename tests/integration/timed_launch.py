#!/usr/bin/python3
"""gst-launch-1.0 -e -m, with times: runs a pipeline description and prints, one line each
and flushed at once, every element message, error and the end, stamped with CLOCK_MONOTONIC
(so a test can put them on the same time line as what it measured itself):

    <ns> element <source element> <structure as text>
    <ns> error <source element> <message> | <debug>
    <ns> eos
    <ns> stats <structure as text>      (the `stats` of the element named "sink", at the end)

    /usr/bin/python3 timed_launch.py 'videotestsrc ... ! rtmpsink name=sink location=...' \
        [--times ELEMENT FILE]

--times: every buffer that leaves ELEMENT's src pad adds a line `<CLOCK_MONOTONIC ns> <end
offset>` to FILE (as arrival_probe.py does for what a subscriber receives), so that a test can
tell when each byte of the stream was produced.

SIGINT or SIGTERM sends EOS (as gst-launch-1.0 -e does); a second one stops at once. Exit code
0 after EOS, 1 after an error, 2 when the description does not parse.
"""

from __future__ import annotations

import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

from probes import probe_buffers  # noqa: E402


def say(text: str) -> None:
    print(f"{time.monotonic_ns()} {text}", flush=True)


def main() -> int:
    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(sys.argv[1])
    except GLib.Error as e:
        say(f"error parse {e.message}")
        return 2
    times = None
    if len(sys.argv) == 5 and sys.argv[2] == "--times":
        times = open(sys.argv[4], "w")
        offset = 0

        def on_buffer(_pad, info):
            nonlocal offset
            now = time.monotonic_ns()
            for buf in probe_buffers(info):
                offset += buf.get_size()
                times.write(f"{now} {offset}\n")
            times.flush()
            return Gst.PadProbeReturn.OK

        pad = pipeline.get_by_name(sys.argv[3]).get_static_pad("src")
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, on_buffer)
    loop = GLib.MainLoop()
    code = 0
    stopping = False

    def on_message(_bus, msg):
        nonlocal code
        if msg.type == Gst.MessageType.ELEMENT and msg.get_structure() is not None:
            say(f"element {msg.src.get_name()} {msg.get_structure().to_string()}")
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            say(f"error {msg.src.get_name()} {err.message} | {debug}")
            code = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            say("eos")
            loop.quit()
        return True

    def on_signal():
        nonlocal stopping, code
        if stopping:
            code = 1
            loop.quit()
            return False
        stopping = True
        say("sending eos")
        pipeline.send_event(Gst.Event.new_eos())
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, on_signal)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        say("error pipeline could not start")
        code = 1
    else:
        say("playing")
        loop.run()
    sink = pipeline.get_by_name("sink")
    if sink is not None and sink.find_property("stats") is not None:
        say(f"stats {sink.get_property('stats').to_string()}")
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if times is not None:
        times.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
