#!/usr/bin/python3
"""Publish a live stream and adapt the encoder's bitrate to the link (dynamic bitrate).

    GST_PLUGIN_PATH=$PWD/build/gst /usr/bin/python3 examples/dynamic_bitrate.py \\
        rtmp://127.0.0.1/live/stream [--bitrate KBPS] [--min-bitrate KBPS] [--duration SECONDS]

Pipeline: videotestsrc is-live=true ! x264enc tune=zerolatency bitrate=KBPS ! flvmux
streamable=true ! rtmpsink max-latency=MS (plus audiotestsrc ! voaacenc into the same flvmux).

rtmpsink posts an `rtmp-congestion` element message when more media waits to be sent than half
its latency bound, every 500 ms while that lasts, and once when it clears (docs/streaming.md).
This program acts on them the way OBS's dynamic bitrate does:

  - congested for --lower-after seconds (a single key frame that the link absorbs is not
    worth reacting to): the video bitrate goes down to what the link carries, 80 % of the
    measured send rate less the audio, and at least 30 % below the current bitrate, never
    below --min-bitrate. If frames are still being dropped (or the queue is still over half
    the latency bound) --lower-interval seconds later, it goes down again.
  - cleared, and no congestion for --raise-after seconds: the bitrate goes up by --step kbit/s,
    every --raise-interval seconds while none comes back, until it is --bitrate again. A
    congestion meanwhile stops the climb (and lowers it again).

It prints what it does, each line starting with the seconds since start:

    [   3.012] congested: queued 640 ms, sending 540 kbit/s, 0 frames dropped
    [   3.012] lower bitrate 1000 -> 380 kbit/s
    [   9.514] congestion cleared: queued 0 ms, sending 430 kbit/s, 27 frames dropped
    [  13.515] raise bitrate 380 -> 580 kbit/s
    [  15.516] raise bitrate 580 -> 780 kbit/s
    ...
    [  19.518] bitrate back at 1000 kbit/s

Stops after --duration seconds, on Ctrl-C (SIGINT) or SIGTERM (it then sends EOS and waits at
most --eos-timeout seconds for the sink to deliver what is queued), at end of stream, or on an
error. Exit code 0 after a clean end, 1 after an error or when EOS did not come in time, 2 for
bad arguments or a missing element.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

CONGESTION_MESSAGE = "rtmp-congestion"


class DynamicBitrate:
    """The bitrate policy, apart from GStreamer: feed it the congestion reports and the time,
    and it says which bitrate the encoder should have (None: leave it as it is)."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.target = args.bitrate
        self.current = args.bitrate
        self.congested_since: float | None = None
        self.last_congested = -1e9
        self.last_lowered: float | None = None
        self.dropped_at_lowering = 0
        self.last_raised = -1e9

    def on_congestion(self, now: float, congested: bool, queued_ms: int, send_rate_bps: float,
                      frames_dropped: int) -> int | None:
        a = self.args
        if not congested:
            self.congested_since = None
            return None
        self.last_congested = now
        if self.congested_since is None:
            self.congested_since = now
        if now - self.congested_since < a.lower_after:
            return None  # a burst (a key frame) the link absorbs
        if self.last_lowered is not None:
            if now - self.last_lowered < a.lower_interval:
                return None  # give the last change time to show
            if frames_dropped == self.dropped_at_lowering and queued_ms <= a.max_latency / 2:
                return None  # nothing dropped since: the rest of the old backlog draining
        fits = int(0.8 * (send_rate_bps / 1000 - a.audio_bitrate))
        lower = max(a.min_bitrate, min(fits, int(self.current * 0.7)))
        if lower >= self.current:
            return None
        self.last_lowered = now
        self.dropped_at_lowering = frames_dropped
        self.current = lower
        return lower

    def on_tick(self, now: float) -> int | None:
        a = self.args
        if self.congested_since is not None or self.current >= self.target:
            return None
        if now - self.last_congested < a.raise_after or now - self.last_raised < a.raise_interval:
            return None
        self.last_raised = now
        self.current = min(self.target, self.current + a.step)
        return self.current


class Publisher:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.stopping = False
        self.policy = DynamicBitrate(args)
        self.pipeline = self._build()
        self.encoder = self.pipeline.get_by_name("encoder")
        self.sink = self.pipeline.get_by_name("sink")

    def log(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:8.3f}] {text}", flush=True)

    def _build(self) -> Gst.Pipeline:
        a = self.args
        for factory in ("videotestsrc", "x264enc", "flvmux", "rtmpsink", "audiotestsrc",
                        "audioconvert", "voaacenc"):
            if Gst.ElementFactory.find(factory) is None:
                raise SystemExit(f"error: element {factory!r} not found (see "
                                 f"scripts/install-deps.sh; GST_PLUGIN_PATH for rtmpsink)")
        desc = (f"videotestsrc is-live=true pattern={a.pattern} ! video/x-raw,width=640,"
                f"height=360,framerate=25/1 ! x264enc name=encoder tune=zerolatency "
                f"speed-preset=ultrafast key-int-max=50 bitrate={a.bitrate} ! "
                f"flvmux name=mux streamable=true ! rtmpsink name=sink "
                f"audiotestsrc is-live=true wave=sine ! audioconvert ! "
                f"voaacenc bitrate={a.audio_bitrate * 1000} ! mux.")
        pipeline = Gst.parse_launch(desc)
        sink = pipeline.get_by_name("sink")
        if sink.find_property("max-latency") is None:
            raise SystemExit("error: this rtmpsink is not gst-rtmp-native's (no 'max-latency' "
                             "property); set GST_PLUGIN_PATH to its build/gst directory")
        sink.set_property("location", a.url)
        sink.set_property("max-latency", a.max_latency)
        return pipeline

    def set_bitrate(self, kbps: int, verb: str) -> None:
        old = self.encoder.get_property("bitrate")
        self.encoder.set_property("bitrate", kbps)
        self.log(f"{verb} bitrate {old} -> {kbps} kbit/s")
        if kbps == self.args.bitrate:
            self.log(f"bitrate back at {kbps} kbit/s")

    # -- bus ------------------------------------------------------------------
    def on_message(self, _bus: Gst.Bus, msg: Gst.Message) -> bool:
        t = msg.type
        s = msg.get_structure() if t == Gst.MessageType.ELEMENT else None
        if s is not None and s.get_name() == CONGESTION_MESSAGE:
            congested, queued = s.get_value("congested"), s.get_value("queued-ms")
            rate, dropped = s.get_value("send-rate"), s.get_value("frames-dropped")
            self.log(f"{'congested' if congested else 'congestion cleared'}: queued {queued} ms, "
                     f"sending {rate / 1000:.0f} kbit/s, {dropped} frames dropped")
            lower = self.policy.on_congestion(time.monotonic(), congested, queued, rate, dropped)
            if lower is not None:
                self.set_bitrate(lower, "lower")
        elif t == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.log(f"ERROR from {msg.src.get_name()}: {err.message}")
            if debug:
                self.log(f"  debug: {debug}")
            self.exit_code = 1
            self.loop.quit()
        elif t == Gst.MessageType.EOS:
            self.log("end of stream")
            self.loop.quit()
        return True

    # -- timers and signals ---------------------------------------------------
    def on_tick(self) -> bool:
        higher = self.policy.on_tick(time.monotonic())
        if higher is not None:
            self.set_bitrate(higher, "raise")
        return True

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
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum,
                                 lambda n=name: self.stop(n) or True)
        GLib.timeout_add(250, self.on_tick)
        if self.args.duration > 0:
            GLib.timeout_add(int(self.args.duration * 1000), self.stop,
                             f"{self.args.duration:g} s elapsed")
        self.log(f"publishing to {self.args.url} at {self.args.bitrate} kbit/s (max-latency "
                 f"{self.args.max_latency} ms)")
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.log("could not start the pipeline")
            self.exit_code = 1
        else:
            self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        self.log(f"exit code {self.exit_code}")
        return self.exit_code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="RTMP URL to publish to, e.g. rtmp://127.0.0.1/live/stream")
    ap.add_argument("--bitrate", type=int, default=2500,
                    help="video bitrate to aim for, kbit/s (default 2500)")
    ap.add_argument("--min-bitrate", type=int, default=200,
                    help="never lower than this, kbit/s (default 200)")
    ap.add_argument("--audio-bitrate", type=int, default=96,
                    help="AAC bitrate, kbit/s (default 96)")
    ap.add_argument("--step", type=int, default=250,
                    help="raise by this much at a time, kbit/s (default 250)")
    ap.add_argument("--lower-after", type=float, default=1.0,
                    help="seconds a congestion must last before lowering (default 1)")
    ap.add_argument("--lower-interval", type=float, default=3.0,
                    help="seconds between two lowerings (default 3)")
    ap.add_argument("--raise-after", type=float, default=5.0,
                    help="seconds without congestion before raising (default 5)")
    ap.add_argument("--raise-interval", type=float, default=2.0,
                    help="seconds between two raises (default 2)")
    ap.add_argument("--max-latency", type=int, default=2000,
                    help="rtmpsink's max-latency, ms (default 2000, the sink's default)")
    ap.add_argument("--pattern", default="smpte",
                    help="videotestsrc pattern (default smpte; 'snow' needs every bit of the "
                         "bitrate)")
    ap.add_argument("--duration", type=float, default=0,
                    help="stop after this many seconds (default: run until Ctrl-C)")
    ap.add_argument("--eos-timeout", type=float, default=10,
                    help="seconds to wait for EOS when stopping (default 10)")
    args = ap.parse_args()
    if not 0 < args.min_bitrate <= args.bitrate or args.step <= 0:
        print("error: need 0 < --min-bitrate <= --bitrate and --step > 0", file=sys.stderr)
        return 2
    Gst.init(None)
    try:
        publisher = Publisher(args)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    except GLib.Error as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    return publisher.run()


if __name__ == "__main__":
    sys.exit(main())
