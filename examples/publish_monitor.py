#!/usr/bin/python3
"""Publish a live test stream with rtmpsink and follow the connection.

    GST_PLUGIN_PATH=$PWD/build/gst /usr/bin/python3 examples/publish_monitor.py \\
        rtmp://127.0.0.1/live/stream [--duration SECONDS] [--reconnect-attempts N]

Pipeline: videotestsrc is-live=true ! x264enc tune=zerolatency ! flvmux streamable=true !
rtmpsink (plus audiotestsrc ! voaacenc into the same flvmux, unless --no-audio), with
reconnection on (`reconnect-attempts=-1`, no limit, by default).

Prints, each line starting with the seconds since start:
  - every `rtmp-connection-state` element message the sink posts:
        [   0.012] state connecting (previous resolving, attempt 1) reason=""
  - the sink's `stats` structure once a second, every field it has:
        [   1.000] stats state=publishing out-bytes-total=123456 ... transport="tcp"
  - errors, warnings and the end.

Stops at end of stream, on an error, after --duration seconds, or on Ctrl-C (SIGINT) or
SIGTERM: it then sends EOS, so that the sink finishes the stream on the server
(FCUnpublish, deleteStream), and waits at most --eos-timeout seconds for it.
Exit code 0 after a clean end, 1 after an error or when EOS did not come in time, 2 for bad
arguments or a missing element.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

STATE_MESSAGE = "rtmp-connection-state"


def value_text(value) -> str:
    """A field value as text: strings quoted, floats shortened, the rest as GStreamer would."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def structure_text(s: Gst.Structure) -> str:
    """Every field of a structure, in order, as name=value (field names may grow)."""
    return " ".join(f"{s.nth_field_name(i)}={value_text(s.get_value(s.nth_field_name(i)))}"
                    for i in range(s.n_fields()))


class Monitor:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.stopping = False
        self.pipeline = self._build()
        self.sink = self.pipeline.get_by_name("sink")

    def log(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:8.3f}] {text}", flush=True)

    def _build(self) -> Gst.Pipeline:
        a = self.args
        for factory in ["videotestsrc", "x264enc", "flvmux", "rtmpsink"] + \
                ([] if a.no_audio else ["audiotestsrc", "audioconvert", "voaacenc"]):
            if Gst.ElementFactory.find(factory) is None:
                raise SystemExit(f"error: element {factory!r} not found (see "
                                 f"scripts/install-deps.sh; GST_PLUGIN_PATH for rtmpsink)")
        desc = ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,"
                "framerate=25/1 ! x264enc tune=zerolatency speed-preset=veryfast bitrate=800 "
                "key-int-max=25 ! flvmux name=mux streamable=true ! rtmpsink name=sink")
        if not a.no_audio:
            desc += (" audiotestsrc is-live=true wave=sine ! audioconvert ! voaacenc "
                     "bitrate=64000 ! mux.")
        pipeline = Gst.parse_launch(desc)
        sink = pipeline.get_by_name("sink")
        if sink.find_property("stats") is None or \
                sink.find_property("reconnect-attempts") is None:
            raise SystemExit("error: this rtmpsink is not gst-rtmp-native's (no 'stats' "
                             "property); set GST_PLUGIN_PATH to its build/gst directory")
        sink.set_property("location", a.url)
        sink.set_property("reconnect-attempts", a.reconnect_attempts)
        sink.set_property("reconnect-delay", a.reconnect_delay)
        sink.set_property("reconnect-max-delay", a.reconnect_max_delay)
        return pipeline

    # -- bus ------------------------------------------------------------------
    def on_message(self, _bus: Gst.Bus, msg: Gst.Message) -> bool:
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name() == STATE_MESSAGE:
                self.log(f"state {s.get_string('state')} (previous "
                         f"{s.get_string('previous-state')}, attempt {s.get_value('attempt')}) "
                         f"reason={value_text(s.get_string('reason') or '')}")
        elif t == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.log(f"ERROR from {msg.src.get_name()}: {err.message}")
            if debug:
                self.log(f"  debug: {debug}")
            self.exit_code = 1
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            warn, _debug = msg.parse_warning()
            self.log(f"WARNING from {msg.src.get_name()}: {warn.message}")
        elif t == Gst.MessageType.EOS:
            self.log("end of stream")
            self.loop.quit()
        return True

    # -- timers and signals ---------------------------------------------------
    def print_stats(self) -> bool:
        stats = self.sink.get_property("stats")
        if stats is not None:
            self.log(f"stats {structure_text(stats)}")
        return True

    def on_signal(self, name: str) -> bool:
        self.stop(name)
        return True  # a second Ctrl-C stops at once

    def stop(self, why: str) -> bool:
        if self.stopping:
            self.log(f"{why} again: stopping at once")
            self.exit_code = 1
            self.loop.quit()
            return False
        self.stopping = True
        self.log(f"{why}: sending EOS")
        self.pipeline.send_event(Gst.Event.new_eos())
        GLib.timeout_add(int(self.args.eos_timeout * 1000), self._eos_timed_out)
        return False

    def _eos_timed_out(self) -> bool:
        self.log(f"no end of stream after {self.args.eos_timeout:g} s: stopping")
        self.exit_code = 1
        self.loop.quit()
        return False

    def run(self) -> int:
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        for signum, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_signal, name)
        GLib.timeout_add(1000, self.print_stats)
        if self.args.duration > 0:
            GLib.timeout_add(int(self.args.duration * 1000), self.stop,
                             f"{self.args.duration:g} s elapsed")
        self.log(f"publishing to {self.sink.get_property('location')} (reconnect-attempts "
                 f"{self.args.reconnect_attempts})")
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.log("could not start the pipeline")
            self.exit_code = 1
        else:
            self.loop.run()
        self.print_stats()
        self.pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        self.log(f"exit code {self.exit_code}")
        return self.exit_code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="RTMP URL to publish to, e.g. rtmp://127.0.0.1/live/stream")
    ap.add_argument("--duration", type=float, default=0,
                    help="stop after this many seconds (default: run until Ctrl-C)")
    ap.add_argument("--reconnect-attempts", type=int, default=-1,
                    help="attempts per outage, -1 = no limit (default), 0 = off")
    ap.add_argument("--reconnect-delay", type=int, default=1000,
                    help="ms before the first attempt, doubled per attempt (default 1000)")
    ap.add_argument("--reconnect-max-delay", type=int, default=30000,
                    help="ms, upper bound of the delay (default 30000)")
    ap.add_argument("--eos-timeout", type=float, default=10,
                    help="seconds to wait for EOS when stopping (default 10)")
    ap.add_argument("--no-audio", action="store_true", help="video only")
    args = ap.parse_args()
    Gst.init(None)
    try:
        monitor = Monitor(args)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    except GLib.Error as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    return monitor.run()


if __name__ == "__main__":
    sys.exit(main())
