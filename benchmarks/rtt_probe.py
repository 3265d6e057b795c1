#!/usr/bin/python3
"""Connection set-up timeline of one element (run by benchmarks/run.py).

    rtt_probe.py ELEMENT URL FIXTURE

ELEMENT: rtmpsink | rtmp2sink (publish FIXTURE through flvdemux ! flvmux) or
rtmpsrc | rtmp2src (play URL into fakesink).  Times are time.monotonic()
seconds relative to t0 = the moment just before the pipeline is set to
PLAYING, taken in the thread where each event happens:

  connect_start   TCP connect() begins
  tcp_connected   TCP connection established (RTMP handshake starts)
  stream_started  NetStream.Publish.Start / NetStream.Play.Start received
  first_buffer    (sources) first buffer reaches fakesink

Ours (rtmpsink/rtmpsrc): from the `rtmp-connection-state` element messages,
seen in a bus sync handler (states connecting, handshaking, publishing |
playing).  rtmp2: from its debug log (category rtmpclient: "Starting socket
connection", "Socket connection established", "publish success" / "play
success"), seen in a log function.  Prints one line: RESULT {json}.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main() -> int:
    element, url, fixture = sys.argv[1], sys.argv[2], sys.argv[3]
    Gst.init(None)
    events: dict[str, float] = {}
    lock = threading.Lock()
    t0 = [0.0]
    ml = GLib.MainLoop()
    errors: list[str] = []
    quitting = [False]
    is_src = element.endswith("src")

    def mark(name: str) -> None:
        now = time.monotonic()
        with lock:
            if name not in events:
                events[name] = now - t0[0]
            done = "stream_started" in events and (not is_src or "first_buffer" in events)
        if done and not quitting[0]:
            quitting[0] = True
            GLib.idle_add(ml.quit)

    if element.startswith("rtmp2"):
        patterns = [("Starting socket connection", "connect_start"),
                    ("Socket connection established", "tcp_connected"),
                    ("publish success", "stream_started"),
                    ("play success", "stream_started")]

        def logfn(cat, level, file, function, line, obj, message, *user):
            try:
                text = message.get()
            except Exception:
                return
            for prefix, name in patterns:
                if text.startswith(prefix):
                    mark(name)
        Gst.debug_add_log_function(logfn, None)
        Gst.debug_set_threshold_from_string("rtmpclient:5", True)
        Gst.debug_set_active(True)

    if is_src:
        desc = f"{element} name=el location={url} ! fakesink name=out sync=false"
    else:
        desc = (f"filesrc location={fixture} ! flvdemux name=d d.video ! queue ! m.video "
                f"d.audio ! queue ! m.audio flvmux streamable=true name=m ! "
                f"{element} name=el location={url} sync=false")
    pipe = Gst.parse_launch(desc)

    state_names = {"connecting": "connect_start", "handshaking": "tcp_connected",
                   "publishing": "stream_started", "playing": "stream_started"}

    def on_sync(_bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name() == "rtmp-connection-state":
                st = s.get_string("state")
                if st in state_names:
                    mark(state_names[st])
        elif msg.type == Gst.MessageType.ERROR and not quitting[0]:
            # (errors during the teardown that follows success are not failures)
            err, dbg = msg.parse_error()
            errors.append(f"{err.message} ({dbg})")
            quitting[0] = True
            GLib.idle_add(ml.quit)
        return Gst.BusSyncReply.PASS

    pipe.get_bus().set_sync_handler(on_sync)

    if is_src:
        def probe(_pad, _info):
            mark("first_buffer")
            return Gst.PadProbeReturn.REMOVE
        # rtmpsrc pushes buffer lists: the first buffer may come in one
        pipe.get_by_name("out").get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, probe)

    GLib.timeout_add_seconds(20, lambda: (errors.append("timeout"), ml.quit()))
    t0[0] = time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    ml.run()
    pipe.set_state(Gst.State.NULL)
    with lock:
        out = {"element": element, "events": dict(events), "errors": errors}
    print("RESULT " + json.dumps(out), flush=True)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
