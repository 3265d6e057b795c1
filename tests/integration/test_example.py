"""examples/publish_monitor.py against nginx-rtmp: it publishes, prints every
rtmp-connection-state message and the sink's stats once a second, rides out an nginx restart
(reconnecting, then publishing again), and ends cleanly on SIGINT and after --duration."""

from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import pytest

import harness as H

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "publish_monitor.py"
STATE_RE = re.compile(r"^\[ *([\d.]+)\] state (\S+) \(previous (\S+), attempt (\d+)\) "
                      r"reason=\"(.*)\"$")
STATS_RE = re.compile(r"^\[ *([\d.]+)\] stats (.*)$")
FIELD_RE = re.compile(r'([\w-]+)=("(?:[^"\\]|\\.)*"|\S+)')


def states(log: str) -> list[tuple[str, str, int, str]]:
    """(state, previous-state, attempt, reason) of every state line."""
    return [(m.group(2), m.group(3), int(m.group(4)), m.group(5))
            for m in map(STATE_RE.match, log.splitlines()) if m]


def stats_lines(log: str) -> list[dict[str, str]]:
    out = []
    for line in log.splitlines():
        m = STATS_RE.match(line)
        if m:
            out.append({k: v.strip('"') for k, v in FIELD_RE.findall(m.group(2))})
    return out


def example(url: str, log: Path, *args: str) -> H.BackgroundProcess:
    return H.BackgroundProcess([sys.executable, EXAMPLE, url, *args], log, grace=15.0)


@pytest.fixture
def example_ok(sink):
    if sink != "rtmpsink":
        pytest.skip(f"the example needs our rtmpsink (RTMP_TEST_SINK={sink!r})")
    for factory in ("x264enc", "voaacenc"):
        if not H.gst_element_exists(factory):
            pytest.fail(f"{factory} is missing (scripts/install-deps.sh installs it)")


def _state_sequence(st) -> list[str]:
    return [s for s, _prev, _attempt, _reason in st]


def test_example_follows_a_server_restart(example_ok, tmp_path):
    work = tmp_path / "nginx"
    (work / "rec2").mkdir(parents=True)
    extra = "application rec { live on; record all; record_path @DIR@/rec2; record_unique on; }"
    with H.NginxRtmp(extra, workdir=work) as ng:
        with example(ng.url("rec", "cam"), tmp_path / "example.log", "--duration", "60",
                     "--reconnect-delay", "200", "--reconnect-max-delay", "1000") as ex:
            H.wait_until(lambda: "publishing" in _state_sequence(states(ex.log())), 20,
                         what="the example to publish")
            H.wait_until(lambda: len(stats_lines(ex.log())) >= 2, 10, what="two stats lines")
            ng.wait_publisher("rec", "cam")
            ng.kill()
            time.sleep(1.5)
            ng.restart()

            def back():
                seq = _state_sequence(states(ex.log()))
                return "reconnecting" in seq and "publishing" in seq[seq.index("reconnecting"):]

            H.wait_until(back, 20, what="the example to publish again")
            n = len(stats_lines(ex.log()))
            H.wait_until(lambda: len(stats_lines(ex.log())) >= n + 2, 10,
                         what="stats after the reconnection")
            ex.proc.send_signal(signal.SIGINT)
            rc = ex.wait(20)
            log = ex.log()
        ng.wait_no_publisher("rec", "cam")
    print(log)
    assert rc == 0, log
    assert "SIGINT: sending EOS" in log and "end of stream" in log, log

    st = states(log)
    seq = _state_sequence(st)
    first = seq.index("publishing")
    assert seq[:first + 1] == ["resolving", "connecting", "handshaking", "connecting-app",
                               "creating-stream", "starting", "publishing"], seq
    assert seq[first + 1] == "reconnecting", seq
    assert st[first + 1][1] == "publishing" and st[first + 1][3], st[first + 1]  # has a reason
    again = first + 1 + seq[first + 1:].index("publishing")
    assert st[again][1] == "starting", st[again]
    assert seq[-2:] == ["closing", "closed"], seq
    for state, previous, attempt, _reason in st:
        assert attempt >= 1 and previous, (state, previous, attempt)

    stats = stats_lines(log)
    assert len(stats) >= 4, stats
    for s in stats:
        for key in ("state", "out-bytes-total", "bitrate", "reconnects", "transport"):
            assert key in s, (key, s)
    assert stats[-1]["reconnects"] == "1", stats[-1]
    assert int(stats[-1]["out-bytes-total"]) > int(stats[0]["out-bytes-total"]) > 0

    recordings = sorted((work / "rec2").glob("cam*.flv"))
    assert len(recordings) == 2, recordings  # one per publishing session
    for rec in recordings:
        counts = H.count_frames(rec)
        assert counts.get("video", 0) >= 10 and counts.get("audio", 0) >= 10, (rec, counts)


def test_example_stops_after_duration(example_ok, nginx, tmp_path, stream_name):
    t0 = time.monotonic()
    with example(nginx.url("live", stream_name), tmp_path / "example.log",
                 "--duration", "3") as ex:
        rc = ex.wait(30)
        log = ex.log()
    took = time.monotonic() - t0
    print(log)
    assert rc == 0, log
    assert took < 3 + 10, f"took {took:.1f} s"
    assert "3 s elapsed: sending EOS" in log and "end of stream" in log, log
    seq = _state_sequence(states(log))
    assert "publishing" in seq and seq[-2:] == ["closing", "closed"], seq
    assert len(stats_lines(log)) >= 2, log
    counts = H.count_frames(nginx.wait_recorded(stream_name))
    assert counts.get("video", 0) >= 25 and counts.get("audio", 0) >= 25, counts
