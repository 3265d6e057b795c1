"""Publishing files (issue 13): the end of stream over a slow link, and real-time pacing.
Against nginx-rtmp, through the throttling proxy of test_live.py (throttle_proxy.py).

- End of stream: a 10 s 2 Mbit/s FLV published with sync=false through a 1 Mbit/s link (and,
  at the same time, a file larger than the sink's queue through 4 Mbit/s): the sink waits until
  nginx has every frame (its recording, compared tag by tag and packet by packet). Cut or
  slowed to a trickle right after the end of stream, a link makes the sink fail with an error
  saying how many bytes the server did not get: after `timeout` without progress, or at the
  drain deadline.
- Pacing: filesrc ! rtmpsink takes the file's duration with sync=true (the default) and next to
  nothing with sync=false; a subscriber sees each frame arrive at its time.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import harness as H
import live_support as L
from throttle_proxy import ThrottleProxy

LINK_DELAY = 0.05
UNDELIVERED_RE = re.compile(r"(\d+) bytes were not delivered to the server within ([\d.]+) s "
                            r"after the end of stream \(([^)]*)\)")


@pytest.fixture
def ours(sink):
    if sink != "rtmpsink":
        pytest.skip(f"what is tested here is rtmpsink's (RTMP_TEST_SINK={sink!r})")


def _publish_file(path: Path, url: str, props: str = "") -> tuple[H.GstResult, float]:
    t = time.monotonic()
    r = H.gst_launch(f"filesrc location={path} ! rtmpsink location={url} {props}", timeout=120)
    return r, time.monotonic() - t


# --------------------------------------------------------------------------
# End of stream
# --------------------------------------------------------------------------

def test_end_of_stream_waits_until_the_server_has_every_frame(ours, tmp_path):
    """The issue's case (10 s at 2 Mbit/s, sync=false, through 1 Mbit/s: the whole file waits in
    the sink's queue at the end of stream), and a file larger than the queue through 4 Mbit/s
    (the end of stream comes once the kernel's buffer has filled: a send rate measured from
    what went into the kernel would be far too fast, and the drain deadline far too short)."""
    cases = {"issue": (L.rate_fixture(10, 1900), 125_000),
             "large": (L.rate_fixture(25, 1900), 500_000)}
    with H.NginxRtmp(workdir=tmp_path / "nginx") as ng, \
            ThrottleProxy(ng.port, up_rate=cases["issue"][1], delay=LINK_DELAY) as slow, \
            ThrottleProxy(ng.port, up_rate=cases["large"][1], delay=LINK_DELAY) as fast:
        links = {"issue": slow, "large": fast}
        with ThreadPoolExecutor(2) as pool:
            runs = {name: pool.submit(_publish_file, path,
                                      f"rtmp://127.0.0.1:{links[name].port}/live/{name}",
                                      "sync=false")
                    for name, (path, _rate) in cases.items()}
            results = {name: f.result() for name, f in runs.items()}
        recorded = {name: ng.wait_recorded(name) for name in cases}
        assert ng.log_problems() == []
    for name, (path, rate) in cases.items():
        r, took = results[name]
        size = path.stat().st_size
        print(f"{name}: {size} bytes at {rate} B/s took {took:.1f} s")
        assert r.returncode == 0 and not r.timed_out, r.describe()
        assert took > 0.8 * size / rate, f"{name}: ended after {took:.1f} s, before the link " \
                                         f"could carry {size} bytes"
        H.assert_nginx_recording_exact(path, recorded[name])
        H.assert_same_packets(H.framemd5(path), H.framemd5(recorded[name]),
                              ignore_repeated_extradata=True)


def test_end_of_stream_error_says_how_much_was_not_delivered(ours, tmp_path):
    """A paced 3 s file at 2 Mbit/s through 1 Mbit/s links with max-latency=0 and timeout=2 (a
    backlog of about 1.5 s at the end of stream, the send rate measured): once the sink has the
    end of stream, one link stops (the sink gives up after 2 s without progress), the other
    slows to a trickle (it gives up at the drain deadline, 2 s plus twice the backlog's time at
    the measured rate). Both errors say how many bytes the server did not get."""
    path = L.rate_fixture(3, 1900)
    with H.NginxRtmp(workdir=tmp_path / "nginx") as ng, \
            ThrottleProxy(ng.port, up_rate=125_000, delay=LINK_DELAY) as cut, \
            ThrottleProxy(ng.port, up_rate=125_000, delay=LINK_DELAY) as trickle:
        links = {"cut": (cut, 0), "trickle": (trickle, 5_000)}
        pubs = {}
        for name, (link, _after) in links.items():
            pubs[name] = L.Publisher(
                f"filesrc location={path} ! rtmpsink name=sink max-latency=0 timeout=2 "
                f"location=rtmp://127.0.0.1:{link.port}/live/{name}", tmp_path / f"{name}.log")
            # The sink's INFO line at the end of stream, in a file of its own.
            pubs[name].env = {"GST_DEBUG": "rtmpsink:4",
                              "GST_DEBUG_FILE": str(tmp_path / f"{name}.debug")}

        def debug_log(name: str) -> str:
            path = tmp_path / f"{name}.debug"
            return path.read_text(errors="replace") if path.exists() else ""

        eos_seen: set[str] = set()

        def eos_arrived() -> bool:
            for name, (link, after) in links.items():
                if name not in eos_seen and "end of stream: sending" in debug_log(name):
                    eos_seen.add(name)
                    link.set_rate(up=after)
            return len(eos_seen) == len(links)

        with pubs["cut"], pubs["trickle"]:
            H.wait_until(eos_arrived, 30, interval=0.01, what="the end of stream at both sinks")
            rcs = {name: p.wait(60) for name, p in pubs.items()}
        taken = {name: link.totals["up"] for name, (link, _after) in links.items()}
    for name, p in pubs.items():
        errors = [m for m in p.messages() if m.kind == "error"]
        stats = p.stats()
        print(name, errors, stats, taken[name])
        assert rcs[name] == 1 and errors, p.log()[-3000:]
        m = UNDELIVERED_RE.search(errors[0].text)
        assert m, errors[0].text
        undelivered, within, why = int(m.group(1)), float(m.group(2)), m.group(3)
        # What the sink produced and the link did not take, less what the link's buffers hold
        # (taken from the sink's socket, so delivered as far as the sink can tell).
        not_taken = stats["out-bytes-total"] + stats["queued-bytes"] - taken[name]
        assert not_taken - 3 * 8192 <= undelivered <= not_taken + 1000, (undelivered, not_taken)
        assert undelivered > 100_000, undelivered
        if name == "cut":
            assert why.startswith("no progress for 2.0 s"), why
            assert 2.0 <= within < 4.0, within
        else:
            assert why.startswith("the drain timeout"), why
            assert 4.0 < within < 20.0, within


# --------------------------------------------------------------------------
# Pacing
# --------------------------------------------------------------------------

def _publishing_to_eos(p: L.Publisher) -> float:
    """Seconds from the sink's publishing state to the end of stream."""
    msgs = p.messages()
    start = next(m.at for m in msgs if m.name == "rtmp-connection-state"
                 and m.fields.get("state") == "publishing")
    return next(m.at for m in msgs if m.kind == "eos") - start


def test_pacing_a_file_follows_its_timestamps(ours, nginx, tmp_path):
    """filesrc ! rtmpsink: with sync=true (the default) the 10 s file takes 10 s and a subscriber
    sees each frame come at its time; with sync=false it goes as fast as it can."""
    path = L.rate_fixture(10, 1900)
    tags = L.read_tags(path)
    duration = (max(t.timestamp for t in tags) - min(t.timestamp for t in tags)) / 1000
    fast = L.Publisher(f"filesrc location={path} ! rtmpsink name=sink sync=false "
                       f"location={nginx.url('live', 'fast')}", tmp_path / "fast.log")
    with fast:
        assert fast.wait(60) == 0, fast.log()
    with L.Subscriber(nginx.url("live", "paced"), tmp_path / "sub.flv") as sub:
        sub.wait_ready(nginx, "paced")
        paced = L.Publisher(f"filesrc location={path} ! rtmpsink name=sink "
                            f"location={nginx.url('live', 'paced')}", tmp_path / "paced.log")
        with paced:
            assert paced.wait(60) == 0, paced.log()
        sub.wait_quiet(1.0)
    took_fast, took_paced = _publishing_to_eos(fast), _publishing_to_eos(paced)
    print(f"{duration:.2f} s of media: sync=false {took_fast:.2f} s, sync=true {took_paced:.2f} s")
    assert took_fast < 1.5
    assert duration - 0.2 <= took_paced <= duration + 1.5
    arrivals = sub.arrivals()
    L.assert_subscriber_got(tags, [a.tag for a in arrivals], "paced")
    delays = [d for _at, d in L.relative_delays(arrivals)]
    print(f"arrival minus timestamp: spread {max(delays):.3f} s")
    assert max(delays) < 0.75, "frames arrived ahead of their time, or fell behind"
    frames = [a for a in arrivals if a.tag.is_audio_frame or a.tag.is_video_frame]
    span = frames[-1].at - frames[0].at
    media = (frames[-1].tag.timestamp - frames[0].tag.timestamp) / 1000
    assert media - 0.3 <= span <= media + 0.5, (span, media)
