"""Playing with rtmpsrc against real servers (nginx-rtmp live and VOD, ffmpeg's
`-listen 1` server), published by our rtmpsink or by GStreamer's rtmp2sink.

What the servers do to the stream (observed with the packaged nginx 1.22 +
nginx-rtmp 1.2.x and ffmpeg 5.1; the comparisons below rely on exactly this):

* nginx live, subscriber joined before publishing: every audio and video
  message is forwarded unchanged (timestamps and bodies, so the CTS of
  B-frames too).  Per media type, the FLV tags written by rtmpsrc are exactly
  the published ones.  Not preserved: the order across media types (nginx
  sends the AVC and the first frames before the AAC sequence header), and the
  onMetaData object, which nginx rebuilds from what its codec module parsed
  (adds "Server", drops encoder/filesize/audiosamplerate/..., zero-filled
  profile/level strings).  So packets are compared per media type.
* nginx VOD (`play DIR`): the file's tags are sent verbatim, onMetaData
  included; whole-file playback writes an FLV whose tags are identical to the
  file's.  nginx seeks only to keyframes listed in onMetaData's `keyframes`
  index (ffmpeg -flvflags add_keyframe_index); see test_vod_seek.  Script
  tags other than the first are not sent, and nothing script after a seek.
* ffmpeg `-listen 1`: see the comment above ffmpeg_server_play (media on
  message stream 0, ends with FCUnpublish + deleteStream and a TCP close);
  rtmpsrc accepts both (rtmp2src gets 0 bytes from it).

GStreamer pipelines that need checks inside the process (pad probes, seeks,
bus messages, properties) run in a child process: this file executed as a
script (`python3 test_play.py SCENARIO PARAMS_JSON RESULT_JSON`, see the end
of the file).  The parent bounds it with a hard timeout, so a hang in a state
change fails the test instead of hanging pytest.  Everything else uses
gst-launch-1.0, ffmpeg and nginx as subprocesses (harness.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import harness as H

MS = 1_000_000  # ns per ms

# --------------------------------------------------------------------------
# Parent side: helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def elements(tools):
    """rtmpsrc and rtmpsink must exist and come from our plugin (not from
    gst-plugins-bad's librtmp plugin of the same file name).  Also warms up
    the registry so the first timed pipeline does not scan plugins."""
    expected = os.environ.get("RTMP_PLUGIN_FILE")
    for name in ("rtmpsrc", "rtmpsink"):
        r = subprocess.run([H.GST_INSPECT, name], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            pytest.fail(f"element {name!r} not found (GST_PLUGIN_PATH="
                        f"{os.environ.get('GST_PLUGIN_PATH', '')!r}); is the plugin built?")
        m = re.search(r"^\s*Filename\s+(\S+)", r.stdout, re.M)
        if expected and m:
            assert os.path.realpath(m.group(1)) == os.path.realpath(expected), \
                f"{name} comes from {m.group(1)}, expected {expected}"


def player_process(url: str, out: Path, log: Path) -> H.BackgroundProcess:
    """`gst-launch-1.0 rtmpsrc location=URL ! filesink` *without* -e: it only
    exits 0 if rtmpsrc itself ends the stream with EOS."""
    argv = [H.GST_LAUNCH, "rtmpsrc", f"location={url}", "!", "filesink", f"location={out}"]
    return H.BackgroundProcess(argv, log)


def assert_valid_flv(path: Path) -> None:
    """ffprobe opens it as FLV without complaint, and it parses strictly.
    (ffmpeg calls it "live_flv" when onMetaData is nginx's, detected by the
    "NGINX RTMP" Server string at a fixed offset; same demuxer code.)"""
    r = subprocess.run([H.FFPROBE, "-v", "error", "-show_entries", "format=format_name",
                        "-of", "json", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), f"ffprobe {path}: {r.stderr}"
    assert json.loads(r.stdout)["format"]["format_name"] in ("flv", "live_flv"), r.stdout
    H.read_flv(path)


def assert_same_av_tags(expected: H.FlvFile, actual: H.FlvFile) -> None:
    """Per media type, the same tags (timestamp and body byte for byte)."""
    for ty, name in ((H.TAG_VIDEO, "video"), (H.TAG_AUDIO, "audio")):
        e = [t for t in expected.tags if t.type == ty]
        a = [t for t in actual.tags if t.type == ty]
        d = H.diff_tags([t._replace(stream_id=0) for t in e], [t._replace(stream_id=0) for t in a])
        assert d is None, f"{name} tags differ: {d}"


def assert_played_live(reference: Path, played: Path, fixture: Path) -> None:
    """The checks of a live play: valid FLV; as many video/audio packets as the
    fixture; per media type the reference's packets (dts, pts, size, md5) and
    tags."""
    assert_valid_flv(played)
    counts = H.count_frames(fixture)
    assert counts.get("video", 0) > 0 and counts.get("audio", 0) > 0
    assert H.count_frames(played) == counts
    H.assert_same_packets(H.framemd5(reference), H.framemd5(played), per_media=True,
                          fields=("dts", "pts", "size", "md5"))
    assert_same_av_tags(H.read_flv(reference), H.read_flv(played))


class GiChild(H.BackgroundProcess):
    """This file run as a GStreamer script in its own process (see _gi_main)."""

    def __init__(self, tmp_path: Path, scenario: str, params: dict, timeout: float):
        self.result_path = tmp_path / f"gi-{scenario}.json"
        self.hard_timeout = timeout + 30  # the child's loops stop at `timeout`
        params = dict(params, timeout=timeout)
        super().__init__([sys.executable, __file__, scenario, json.dumps(params),
                          str(self.result_path)], tmp_path / f"gi-{scenario}.log")

    def result(self) -> dict:
        rc = self.wait(self.hard_timeout)
        assert rc == 0 and self.result_path.exists(), \
            f"GI child failed (exit code {rc}):\n{self.log()}"
        return json.loads(self.result_path.read_text())


def run_gi(tmp_path: Path, scenario: str, params: dict, timeout: float = 30) -> dict:
    with GiChild(tmp_path, scenario, params, timeout) as child:
        return child.result()


def buffers(res: dict, label: str, min_phase: int = 0) -> list[dict]:
    """Buffers seen by a probe; min_phase=1: only those after the first
    FLUSH_STOP (i.e. after a flushing seek)."""
    return [i for i in res["probes"][label] if i["k"] == "buf" and i["phase"] >= min_phase]


def describe_gi(res: dict) -> str:
    """Short summary of a GI result for assertion messages."""
    probes = {k: len([i for i in v if i["k"] == "buf"]) for k, v in res.get("probes", {}).items()}
    keys = ("eos", "error", "first", "timed_out", "seek", "null_seconds", "stats_end", "stats_null")
    return json.dumps({**{k: res.get(k) for k in keys}, "buffers": probes}, indent=1)[:3000]


def expected_demuxed(fixture_md5: H.FrameMd5) -> dict[str, list[tuple[int, int, int]]]:
    """(pts ns, dts ns, size) of the fixture's packets per media type, which is
    what flvdemux outputs (ffmpeg's FLV demuxer strips the same tag header
    bytes and also skips the sequence headers and the AVC end-of-sequence)."""
    return {m: [(p.pts * MS, p.dts * MS, p.size) for p in ps]
            for m, ps in fixture_md5.by_media().items()}


def nginx_with_vod(tmp_path: Path, fixture: Path) -> tuple[H.NginxRtmp, Path]:
    """nginx with `application vod { play DIR/vod; }` serving clip.flv: the
    fixture remuxed with an onMetaData keyframe index (nginx needs it to seek;
    without it nginx-rtmp's FLV player can only play from the start)."""
    work = tmp_path / "nginx"
    (work / "vod").mkdir(parents=True)
    clip = work / "vod" / "clip.flv"
    r = subprocess.run([H.FFMPEG, "-nostdin", "-v", "error", "-i", str(fixture), "-c", "copy",
                        "-flvflags", "add_keyframe_index", "-f", "flv", str(clip)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return H.NginxRtmp("application vod { play @DIR@/vod; }", workdir=work), clip


# --------------------------------------------------------------------------
# 1-3, 6: live
# --------------------------------------------------------------------------


def test_live_rtmpsink_to_rtmpsrc(elements, nginx, tmp_path, stream_name, fixture_bf2):
    """rtmpsrc ! filesink subscribes first; our rtmpsink publishes the fixture
    (plain filesrc, as fast as possible); rtmpsrc ends by itself with EOS when
    the publisher leaves (nginx: Play.UnpublishNotify + StreamEOF), and the
    file has exactly the fixture's packets."""
    url = nginx.url("live", stream_name)
    played = tmp_path / "played.flv"
    with player_process(url, played, tmp_path / "player.log") as player:
        nginx.wait_player("live", stream_name)
        pub = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url}",
                           timeout=60)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
        rc = player.wait(20)
        log = player.log()
    assert rc == 0 and "Got EOS from element" in log, log
    assert nginx.log_problems() == []
    assert_played_live(fixture_bf2, played, fixture_bf2)
    # nginx rebuilds onMetaData: one script tag, first, but not the published one.
    flv = H.read_flv(played)
    assert [i for i, t in enumerate(flv.tags) if t.type == H.TAG_SCRIPT] == [0]
    assert b"NGINX RTMP" in flv.tags[0].data
    assert flv.flags == 0x05


_FLVMUX = ("filesrc location={src} ! flvdemux name=d "
           "flvmux name=m streamable=true ! {tail} "
           "d.video ! queue ! m.video d.audio ! queue ! m.audio")


@pytest.fixture(scope="module")
def flvmux_output(tmp_path_factory):
    """fixture path -> what `flvdemux ! flvmux streamable=true` makes of it
    (the same pipeline as the publisher's, with filesink)."""
    cache: dict[Path, Path] = {}

    def get(src: Path) -> Path:
        if src not in cache:
            out = tmp_path_factory.mktemp("flvmux") / f"{src.stem}-flvmux.flv"
            res = H.gst_launch(_FLVMUX.format(src=src, tail=f"filesink location={out}"),
                               timeout=60)
            assert res.returncode == 0 and not res.timed_out, res.describe()
            cache[src] = out
        return cache[src]
    return get


@pytest.mark.parametrize("bframes", [0, 2], ids=["bf0", "bf2"])
def test_live_rtmp2sink_to_rtmpsrc(elements, nginx, tmp_path, stream_name, bframes,
                                   fixture_bf0, fixture_bf2, flvmux_output):
    """The same with an independent publisher: GStreamer's rtmp2sink behind
    flvdemux ! flvmux (one tag per buffer; paced in real time).  flvmux
    (1.22) rebases the timestamps of the B-frame fixture (see
    test_publish.test_publish_flvmux), so what arrives is compared with
    flvmux's own output; for bf0 that equals the fixture (asserted)."""
    if not H.gst_element_exists("rtmp2sink"):
        pytest.skip("rtmp2sink (gst-plugins-bad) not installed")
    fixture = fixture_bf0 if bframes == 0 else fixture_bf2
    reference = flvmux_output(fixture)
    if bframes == 0:
        H.assert_same_packets(H.framemd5(fixture), H.framemd5(reference))
    url = nginx.url("live", stream_name)
    played = tmp_path / "played.flv"
    with player_process(url, played, tmp_path / "player.log") as player:
        nginx.wait_player("live", stream_name)
        pub = H.gst_launch(_FLVMUX.format(src=fixture, tail=f"rtmp2sink location={url}"),
                           timeout=60)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
        rc = player.wait(20)
        log = player.log()
    assert rc == 0 and "Got EOS from element" in log, log
    assert_played_live(reference, played, fixture)


def _demux_desc(url: str, sync: bool = False) -> str:
    s = "true" if sync else "false"
    return (f"rtmpsrc name=src location={url} ! flvdemux name=d "
            f"d.video ! queue ! fakesink name=v sync={s} "
            f"d.audio ! queue ! fakesink name=a sync={s}")


_DEMUX_PROBES = {"src": "src.src", "video": "v.sink", "audio": "a.sink"}


def assert_src_output(res: dict, expected: H.FlvFile, live: bool) -> None:
    """What rtmpsrc itself pushed: one FLV header buffer flagged HEADER, then
    exactly one complete tag (with PreviousTagSize) per buffer, never flagged
    HEADER, whose PTS = DTS = tag timestamp (minus the first one if live);
    per media type the tags of `expected`."""
    bufs = buffers(res, "src")
    assert bufs, describe_gi(res)
    first, tags = bufs[0], bufs[1:]
    assert first["flv"] == "header" and first["header"] and first["size"] == 13, first
    assert first["flags"] == expected.flags, first
    bad = [b for b in tags if b["flv"] != "tag" or not b["one_tag"] or b["header"]]
    assert not bad, f"buffers that are not exactly one tag: {bad[:3]}"
    base = tags[0]["ts"] if live else 0
    wrong_ts = [b for b in tags if b["pts"] != (b["ts"] - base) * MS or b["dts"] != b["pts"]]
    assert not wrong_ts, f"buffer timestamps do not follow the tags: {wrong_ts[:3]}"
    for ty in (H.TAG_VIDEO, H.TAG_AUDIO):
        e = [(t.timestamp, hashlib.md5(t.data).hexdigest()) for t in expected.tags if t.type == ty]
        a = [(b["ts"], b["md5"]) for b in tags if b["type"] == ty]
        assert a == e, f"tag type {ty}: {len(a)} tags, expected {len(e)}"


def test_live_rtmpsrc_flvdemux(elements, nginx, tmp_path, stream_name, fixture_bf2):
    """rtmpsrc ! flvdemux: the demuxer gets every frame, with the fixture's
    timestamps (PTS including the B-frame composition offset), sizes and
    keyframe flags, and the pipeline ends with EOS."""
    url = nginx.url("live", stream_name)
    with GiChild(tmp_path, "play", {"desc": _demux_desc(url), "probes": _DEMUX_PROBES,
                                    "parse_flv": ["src"]}, timeout=30) as child:
        nginx.wait_player("live", stream_name)
        pub = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url}",
                           timeout=60)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
        res = child.result()
    assert res["eos"] and not res["error"] and not res["timed_out"], describe_gi(res)
    expected = expected_demuxed(H.framemd5(fixture_bf2))
    for media in ("video", "audio"):
        got = [(b["pts"], b["dts"], b["size"]) for b in buffers(res, media)]
        assert len(got) == len(expected[media]), f"{media}: {len(got)} buffers"
        assert got == expected[media], f"{media}: (pts, dts, size) differ"
    # Keyframe flags: DELTA_UNIT exactly on the non-key frames of the fixture.
    flv = H.read_flv(fixture_bf2)
    keys = [t.data[0] >> 4 == 1 for t in flv.tags
            if t.type == H.TAG_VIDEO and t.data[1] == 1]
    assert [not b["delta"] for b in buffers(res, "video")] == keys
    assert_src_output(res, flv, live=True)


def test_loopback_one_process(elements, nginx, tmp_path, stream_name, fixture_bf2):
    """rtmpsink and rtmpsrc in one process (two pipelines, one GI script):
    the player is started and seen by nginx before the publisher starts; the
    played file has the fixture's packets and both pipelines end with EOS."""
    url = nginx.url("live", stream_name)
    played = tmp_path / "played.flv"
    res = run_gi(tmp_path, "loopback", {
        "play_desc": f"rtmpsrc location={url} ! filesink location={played}",
        "pub_desc": f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url}",
        "http_port": nginx.http_port, "app": "live", "stream": stream_name}, timeout=40)
    assert res["player_seen"], res
    assert res["play"]["eos"] and res["pub"]["eos"], res
    assert not res["play"]["error"] and not res["pub"]["error"], res
    assert res["null_seconds"] < 5, res
    assert_played_live(fixture_bf2, played, fixture_bf2)


# --------------------------------------------------------------------------
# 4: VOD (nginx `play`)
# --------------------------------------------------------------------------


def _push_times(path: Path) -> list[int]:
    """timed_launch.py --times: the CLOCK_MONOTONIC ns of each buffer, in order (the buffers
    of one buffer list share one)."""
    return [int(line.split()[0]) for line in path.read_text().splitlines()]


def test_batch_latency(elements, nginx, tmp_path, stream_name, fixture_bf2):
    """`batch-latency` bounds how long received data waits to be read. Two players subscribe
    to one live stream published in real time: with batch-latency=0 rtmpsrc reads and pushes
    as the messages come; with 250 it pushes a few times a second, and no tag reaches it more
    than 250 ms (plus scheduling slack) after the same tag reached the other player."""
    url = nginx.url("live", stream_name)
    times = {ms: tmp_path / f"times-{ms}" for ms in (0, 250)}
    with contextlib.ExitStack() as stack:
        players = {
            ms: stack.enter_context(H.BackgroundProcess(
                [sys.executable, str(Path(__file__).with_name("timed_launch.py")),
                 f"rtmpsrc name=src location={url} batch-latency={ms} ! fakesink sync=false",
                 "--times", "src", str(times[ms])], tmp_path / f"player-{ms}.log"))
            for ms in times}
        H.wait_until(lambda: len(nginx.players("live", stream_name)) >= 2, 20,
                     what="both players subscribed")
        pub = subprocess.run([H.FFMPEG, "-nostdin", "-v", "error", "-re", "-i", str(fixture_bf2),
                              "-c", "copy", "-f", "flv", url], capture_output=True, text=True,
                             timeout=60)
        assert pub.returncode == 0, pub.stderr
        for ms, player in players.items():
            assert player.wait(20) == 0, f"batch-latency={ms}: {player.log()}"
    at = {ms: _push_times(path) for ms, path in times.items()}
    assert len(at[0]) == len(at[250]) > 100, {ms: len(t) for ms, t in at.items()}
    late = max(b - a for a, b in zip(at[0], at[250]))
    assert late <= (250 + 150) * MS, f"a tag came {late / MS:.0f} ms after the other player's"
    pushes = {ms: len(set(t)) for ms, t in at.items()}
    seconds = (at[0][-1] - at[0][0]) / 1e9
    assert pushes[250] <= 6 * seconds + 4, (pushes, seconds)
    assert pushes[0] >= 3 * pushes[250], pushes


def test_vod_play_whole(elements, tmp_path, fixture_bf2):
    """A recorded stream played to the end: EOS by itself (Play.Complete /
    StreamEOF), and the written FLV is the served file, byte for byte."""
    ng, clip = nginx_with_vod(tmp_path, fixture_bf2)
    with ng:
        played = tmp_path / "played.flv"
        with player_process(ng.url("vod", "clip.flv"), played, tmp_path / "player.log") as p:
            rc = p.wait(30)
            log = p.log()
        assert rc == 0 and "Got EOS from element" in log, log
        assert ng.log_problems() == []
    assert_valid_flv(played)
    want, got = H.read_flv(clip), H.read_flv(played)
    assert got.flags == want.flags
    assert H.diff_tags(want.tags, got.tags) is None, H.diff_tags(want.tags, got.tags)
    H.assert_same_packets(H.framemd5(clip), H.framemd5(played))
    assert H.count_frames(played) == H.count_frames(fixture_bf2)
    assert played.read_bytes() == clip.read_bytes()


def _seek_log(path: Path) -> str:
    """The seek-related lines of a GST_DEBUG file, for a failure message."""
    if not path.exists():
        return "(no debug log)"
    lines = [ln for ln in path.read_text(errors="replace").splitlines()
             if "seek" in ln.lower() or "not seekable" in ln]
    return "\n".join(ln[:300] for ln in lines[-40:])


def test_vod_seek(elements, tmp_path, fixture_bf2, monkeypatch):
    """rtmpsrc ! flvdemux ! fakesinks (sync=true) on a recorded stream; after
    the first video buffer a FLUSH|KEY_UNIT seek to 2 s.

    nginx-rtmp seeks to a keyframe of the onMetaData index: the first entry
    whose time is strictly greater than the target, else the last one
    (ngx_rtmp_flv_timestamp_to_offset).  Here keyframes are at 0, 1, 2, 3 s
    and a seek to 2 s resumes at 3 s, not at the keyframe exactly at 2 s.
    Asserted: the seek succeeds; the source is seekable;
    every buffer after the flush has pts >= target - one GOP; the first video
    buffer after it is a keyframe; after the flush each pad gets exactly the
    tail of the file's packet list starting there (no duplicates, no gaps)
    until EOS; rtmpsrc's own output after the seek is the file's tags from
    that keyframe on."""
    target_ms, gop_ms = 2000, 1000
    # The seek was refused twice in loaded runs (not reproduced since): keep the logs of the
    # elements on the seek's path, so that a failure says where it was refused.
    debug_log = tmp_path / "gst-debug.log"
    monkeypatch.setenv("GST_DEBUG", "basesrc:5,rtmpsrc:6,flvdemux:5,basesink:4")
    monkeypatch.setenv("GST_DEBUG_FILE", str(debug_log))
    ng, clip = nginx_with_vod(tmp_path, fixture_bf2)
    with ng:
        res = run_gi(tmp_path, "play", {
            "desc": _demux_desc(ng.url("vod", "clip.flv"), sync=True),
            "probes": _DEMUX_PROBES, "parse_flv": ["src"],
            "seek": {"after": "video", "position_ms": target_ms}}, timeout=30)
    assert res["eos"] and not res["error"] and not res["timed_out"], describe_gi(res)
    seek = res["seek"]
    assert seek and seek["ok"] is True, describe_gi(res) + "\n" + _seek_log(debug_log)
    assert seek["seekable"] is True, seek
    expected = expected_demuxed(H.framemd5(clip))
    firsts = {}
    for media in ("video", "audio"):
        after = buffers(res, media, min_phase=1)
        assert after, f"no {media} buffers after the seek: {describe_gi(res)}"
        assert min(b["pts"] for b in after) >= (target_ms - gop_ms) * MS
        got = [(b["pts"], b["dts"], b["size"]) for b in after]
        exp = expected[media]
        assert got[0] in exp, f"{media}: first buffer after the seek {got[0]} not in the file"
        start = exp.index(got[0])
        assert got == exp[start:], (f"{media}: after the seek, not the file's packets "
                                    f"{start}..{len(exp) - 1} (got {len(got)})")
        firsts[media] = after[0]
    assert not firsts["video"]["delta"], "first video buffer after the seek is not a keyframe"
    # rtmpsrc itself: after the flush the file's tags from the keyframe on, in
    # file order (nginx sends from the keyframe's file position), one per buffer.
    flv = H.read_flv(clip)
    src_after = buffers(res, "src", min_phase=1)
    key_ts = firsts["video"]["dts"] // MS
    k = next(i for i, t in enumerate(flv.tags)
             if t.type == H.TAG_VIDEO and t.timestamp == key_ts and t.data[0] >> 4 == 1)
    got_tags = [(b["type"], b["ts"], b["md5"]) for b in src_after if b["flv"] == "tag"]
    exp_tags = [(t.type, t.timestamp, hashlib.md5(t.data).hexdigest()) for t in flv.tags[k:]]
    av = [g for g in got_tags if g[0] != H.TAG_SCRIPT]
    assert av == [e for e in exp_tags if e[0] != H.TAG_SCRIPT], "tags after the seek differ"
    print(f"seek to {target_ms} ms landed on the keyframe at {key_ts} ms; "
          f"first audio after it: {firsts['audio']['pts'] / MS} ms")


# --------------------------------------------------------------------------
# 5: ffmpeg as the server
# --------------------------------------------------------------------------


# ffmpeg's RTMP server (`-listen 1`, libavformat/rtmpproto.c, ffmpeg 5.1),
# observed through a logging TCP proxy and rtmp2src's debug log:
#   * it answers connect, createStream (_result: stream id 1) and play
#     (onStatus NetStream.Play.Start, on message stream 1), then sends
#     everything -- @setDataFrame/onMetaData, audio, video -- on message
#     stream id 0, not on the stream it created;
#   * it sends the FLV muxer's tags unchanged and in the file's order
#     (timestamps and bodies; with -re in real time), only onMetaData differs
#     from the file: "duration" and "filesize" are 0 (a streaming muxer cannot
#     seek back to fill them in);
#   * at the end it sends the commands a *publishing client* sends when it
#     stops -- "FCUnpublish" (stream name) and "deleteStream" (stream id 0) --
#     and closes the TCP connection: no NetStream.Play.Stop/Complete, no
#     StreamEOF.
# rtmp2src (gst-plugins-bad 1.22) against the same server: 0 bytes.  It only
# accepts media on the stream id it created, so it drops every message; it
# logs "Server sent command "deleteStream" expecting reply", then treats the
# connection closed by ffmpeg ("connection closed remotely") as end of
# stream: EOS, exit code 0, empty file.

@pytest.fixture(scope="module")
def ffmpeg_server_play(elements, tmp_path_factory, fixture_bf2) -> dict:
    """`ffmpeg -re -i FIXTURE -c copy -f flv -listen 1 rtmp://127.0.0.1:PORT/app/stream`
    as the server, `rtmpsrc ! filesink` as the player (run once for the tests below)."""
    tmp = tmp_path_factory.mktemp("ffmpeg-server")
    port = H.free_port()
    url = f"rtmp://{H.LOOPBACK}:{port}/app/stream"
    played = tmp / "played.flv"
    server = H.BackgroundProcess([H.FFMPEG, "-hide_banner", "-nostdin", "-v", "verbose", "-re",
                                  "-i", fixture_bf2, "-c", "copy", "-f", "flv", "-listen", "1",
                                  url], tmp / "ffmpeg-server.log")
    with server:
        # Not port_accepts(): a probing connection would use up the one-shot server.
        H.wait_until(lambda: H.port_listening(port) or not server.running(), 15,
                     what="ffmpeg to listen")
        assert server.running(), server.log()
        res = H.gst_launch(f"rtmpsrc location={url} ! filesink location={played}", timeout=40)
        server_rc = server.wait(15)
    return {"res": res, "played": played, "server_rc": server_rc, "server_log": server.log()}


def _zero_amf_number(data: bytes, name: str) -> bytes:
    """data with the AMF0 number property `name` set to 0.0."""
    key = len(name).to_bytes(2, "big") + name.encode() + b"\x00"
    i = data.index(key) + len(key)
    return data[:i] + bytes(8) + data[i + 8:]


def test_ffmpeg_listen_server_content(ffmpeg_server_play, fixture_bf2):
    """Everything ffmpeg serves arrives: the fixture's packets, and its tags
    in order; onMetaData with duration and filesize 0 (see above)."""
    r = ffmpeg_server_play
    assert not r["res"].timed_out, r["res"].describe()
    assert r["server_rc"] == 0, r["server_log"]
    assert r["played"].stat().st_size > 0, f"nothing played:\n{r['res'].describe()}"
    assert_played_live(fixture_bf2, r["played"], fixture_bf2)
    want, got = H.read_flv(fixture_bf2), H.read_flv(r["played"])
    assert got.flags == want.flags
    diff = H.diff_tags(want.tags[1:], got.tags[1:])
    assert diff is None, diff
    meta = want.tags[0].data
    for name in ("duration", "filesize"):
        meta = _zero_amf_number(meta, name)
    assert got.tags[0].type == H.TAG_SCRIPT and got.tags[0].data == meta


def test_ffmpeg_listen_server_eos(ffmpeg_server_play):
    """When ffmpeg has sent everything, rtmpsrc ends with EOS."""
    res = ffmpeg_server_play["res"]
    assert not res.timed_out, res.describe()
    assert res.returncode == 0 and "Got EOS from element" in res.stdout, res.describe()
    assert "ERROR" not in res.stderr, res.describe()


# --------------------------------------------------------------------------
# 7: errors
# --------------------------------------------------------------------------


def test_error_stream_not_found(elements, tmp_path, fixture_bf2):
    """Playing a file the VOD application does not have: nginx answers
    NetStream.Play.StreamNotFound -> GST_RESOURCE_ERROR_NOT_FOUND naming the URL."""
    ng, _clip = nginx_with_vod(tmp_path, fixture_bf2)
    with ng:
        url = ng.url("vod", "missing.flv")
        res = run_gi(tmp_path, "play", {"desc": f"rtmpsrc name=src location={url} ! fakesink",
                                        "probes": {}}, timeout=20)
    err = res["error"]
    assert err and res["first"] == "error", describe_gi(res)
    assert err["domain"] == "gst-resource-error-quark" and err["nick"] == "not-found", err
    assert url in err["message"], err
    assert "NetStream.Play.StreamNotFound" in (err["debug"] or "") + err["message"], err
    assert res["null_seconds"] < 2, res


def test_error_idle_timeout(elements, nginx, tmp_path, stream_name, fixture_bf2):
    """A publisher (appsrc ! rtmpsink) that stops sending without unpublishing:
    rtmpsrc idle-timeout=1 gets the tags sent after it joined, then must fail
    with GST_RESOURCE_ERROR_READ about a second after the last media (not
    EOS), and go to NULL promptly (the publisher too)."""
    url = nginx.url("live", stream_name)
    res = run_gi(tmp_path, "idle", {
        "url": url, "fixture": str(fixture_bf2), "n_tags": [12, 40],
        "play_desc": f"rtmpsrc name=src location={url} idle-timeout=1 ! fakesink name=s",
        "http_port": nginx.http_port, "app": "live", "stream": stream_name}, timeout=30)
    assert res["publisher_seen"] and res["player_seen"], res
    # An ERROR, not EOS (basesrc pushes an EOS event downstream after any
    # flow error, so an EOS message may follow the error, never precede it).
    err = res["play"]["error"]
    assert err and res["play"]["first"] == "error" and not res["timed_out"], res
    assert err["domain"] == "gst-resource-error-quark" and err["nick"] == "read", err
    assert url in err["message"] and "idle-timeout" in err["message"], err
    # It got media first (nginx forwards the later tags, with the codec
    # headers), and then timed out ~1 s after the last of it (the element
    # polls every 0.1 s).
    assert res["n_buffers"] > 0, res
    since = err["t"] - res["last_buffer_t"]
    assert 0.9 <= since <= 3.0, res
    assert res["null_seconds"] < 2 and res["pub_null_seconds"] < 5, res
    assert not res["pub"]["error"], res


# --------------------------------------------------------------------------
# 8: stats
# --------------------------------------------------------------------------


def test_stats_after_play(elements, tmp_path, fixture_bf2):
    """rtmpsrc's `stats` after playing a recorded stream to EOS, and after
    stopping: bytes and messages counted, nginx's chunk size (4096 in the
    harness config) seen, state names as documented."""
    ng, clip = nginx_with_vod(tmp_path, fixture_bf2)
    with ng:
        res = run_gi(tmp_path, "play", {
            "desc": f"rtmpsrc name=src location={ng.url('vod', 'clip.flv')} ! fakesink",
            "probes": {}, "stats_elem": "src"}, timeout=20)
    assert res["eos"] and not res["error"], describe_gi(res)
    end, null = res["stats_end"], res["stats_null"]
    assert end["name"] == "application/x-rtmp-stats", end
    assert end["state"] == "playing", end
    assert end["in-bytes-total"] > clip.stat().st_size * 0.9, end
    assert end["in-messages"] > 0 and end["in-chunk-size"] == 4096, end
    assert end["in-window-ack-size"] == 5000000, end  # nginx's default ack_window
    assert end["out-bytes-total"] > 0 and end["out-messages"] > 0, end
    assert null["state"] == "closed", null
    assert null["in-bytes-total"] >= end["in-bytes-total"], (end, null)


# --------------------------------------------------------------------------
# Child side: GStreamer via GI (runs as `python3 test_play.py ...`)
# --------------------------------------------------------------------------


def _ts(t: int) -> int | None:
    return None if t is None or t == 0xFFFFFFFFFFFFFFFF else int(t)


def _flv_buffer_info(data: bytes) -> dict:
    if data[:3] == b"FLV":
        return {"flv": "header", "flags": data[4] if len(data) > 4 else None}
    if len(data) < 15:
        return {"flv": "short"}
    size = int.from_bytes(data[1:4], "big")
    ts = int.from_bytes(data[4:7], "big") | (data[7] << 24)
    body = data[11:11 + size]
    prev = int.from_bytes(data[-4:], "big")
    return {"flv": "tag", "type": data[0] & 0x1F, "ts": ts,
            "md5": hashlib.md5(body).hexdigest(),
            "one_tag": len(data) == 11 + size + 4 and prev == 11 + size}


class _Recorder:
    """Pad probe: buffers (timestamps, size, flags, FLV structure) and events;
    `phase` counts FLUSH_STOPs, so buffers after a flushing seek are told apart."""

    def __init__(self, Gst, pad, t0: float, parse_flv: bool):
        self.Gst, self.t0, self.parse_flv = Gst, t0, parse_flv
        self.phase = 0
        self.items: list[dict] = []
        self.n_buffers = 0
        self.last_buffer_t = None
        self.lock = threading.Lock()
        # rtmpsrc pushes what one read brought as one buffer list
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST
                      | Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH,
                      self._probe)

    def _probe(self, pad, info):
        Gst = self.Gst
        t = time.monotonic() - self.t0
        if info.type & (Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST):
            for buf in H.probe_buffers(info):
                rec = {"k": "buf", "t": t, "phase": self.phase, "pts": _ts(buf.pts),
                       "dts": _ts(buf.dts), "size": buf.get_size(),
                       "delta": bool(buf.has_flags(Gst.BufferFlags.DELTA_UNIT)),
                       "header": bool(buf.has_flags(Gst.BufferFlags.HEADER)),
                       "discont": bool(buf.has_flags(Gst.BufferFlags.DISCONT))}
                if self.parse_flv:
                    rec.update(_flv_buffer_info(buf.extract_dup(0, buf.get_size())))
                with self.lock:
                    self.n_buffers += 1
                    self.last_buffer_t = t
                    self.items.append(rec)
            return Gst.PadProbeReturn.OK
        else:
            ev = info.get_event()
            if ev.type == Gst.EventType.FLUSH_STOP:
                self.phase += 1
            rec = {"k": "ev", "t": t, "phase": self.phase, "type": ev.type.value_nick}
            if ev.type == Gst.EventType.SEGMENT:
                seg = ev.parse_segment()
                rec.update(start=_ts(seg.start), time=_ts(seg.time))
        with self.lock:
            self.items.append(rec)
        return Gst.PadProbeReturn.OK


class _Pipe:
    """A pipeline and what its bus said (EOS, first error, warnings)."""

    def __init__(self, Gst, desc: str, t0: float, probes: dict | None = None,
                 parse_flv=()):
        self.Gst, self.t0 = Gst, t0
        self.pipeline = Gst.parse_launch(desc)
        self.bus = self.pipeline.get_bus()
        self.eos = False
        self.error = None
        self.first = None  # "eos" or "error", whichever came first
        self.warnings: list[str] = []
        self.recorders = {}
        for label, spec in (probes or {}).items():
            elem, pad = spec.split(".")
            self.recorders[label] = _Recorder(
                Gst, self.pipeline.get_by_name(elem).get_static_pad(pad), t0, label in parse_flv)

    def poll(self, wait_s: float) -> None:
        Gst = self.Gst
        types = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING
        msg = self.bus.timed_pop_filtered(int(wait_s * Gst.SECOND), types)
        while msg is not None:
            t = time.monotonic() - self.t0
            if msg.type in (Gst.MessageType.EOS, Gst.MessageType.ERROR) and self.first is None:
                self.first = "eos" if msg.type == Gst.MessageType.EOS else "error"
            if msg.type == Gst.MessageType.EOS:
                self.eos = True
            elif msg.type == Gst.MessageType.ERROR and self.error is None:
                err, dbg = msg.parse_error()
                nick = None
                if err.domain == "gst-resource-error-quark":
                    nick = Gst.ResourceError(err.code).value_nick
                self.error = {"domain": err.domain, "code": err.code, "nick": nick,
                              "message": err.message, "debug": dbg, "t": t,
                              "src": msg.src.get_name()}
            elif msg.type == Gst.MessageType.WARNING:
                self.warnings.append(msg.parse_warning()[0].message)
            msg = self.bus.pop_filtered(types)

    def done(self) -> bool:
        return self.eos or self.error is not None

    def to_null(self) -> float:
        t = time.monotonic()
        self.pipeline.set_state(self.Gst.State.NULL)
        return time.monotonic() - t

    def summary(self) -> dict:
        return {"eos": self.eos, "error": self.error, "first": self.first,
                "warnings": self.warnings}


def _stats(Gst, pipe: _Pipe, name: str) -> dict:
    s = pipe.pipeline.get_by_name(name).get_property("stats")
    out = {"name": s.get_name()}
    for i in range(s.n_fields()):
        f = s.nth_field_name(i)
        out[f] = s.get_value(f)
    return out


def _run_until(pipes: list[_Pipe], pred, deadline: float, each=None) -> bool:
    while time.monotonic() < deadline:
        for p in pipes:
            p.poll(0.01)
        if each is not None:
            each()
        if pred():
            return True
    return False


def _nginx_stat(http_port: int) -> H.NginxRtmp:
    """A handle on an already running nginx, for its /stat only."""
    ng = H.NginxRtmp()
    ng.http_port = http_port
    return ng


def _scenario_play(Gst, p: dict) -> dict:
    """One pipeline to EOS/error; optional seek after the first buffers."""
    t0 = time.monotonic()
    pipe = _Pipe(Gst, p["desc"], t0, p["probes"], p.get("parse_flv", ()))
    res: dict = {"seek": None}
    seek = p.get("seek")

    def maybe_seek():
        if not seek or res["seek"] is not None:
            return
        if pipe.recorders[seek["after"]].n_buffers < seek.get("count", 1):
            return
        q = Gst.Query.new_seeking(Gst.Format.TIME)
        src = pipe.pipeline.get_by_name("src")
        seekable = src.query(q) and q.parse_seeking()[1]
        ok = pipe.pipeline.seek_simple(Gst.Format.TIME,
                                       Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT,
                                       seek["position_ms"] * Gst.MSECOND)
        res["seek"] = {"ok": bool(ok), "seekable": bool(seekable),
                       "t": time.monotonic() - t0}

    res["set_playing"] = pipe.pipeline.set_state(Gst.State.PLAYING).value_nick
    res["timed_out"] = not _run_until([pipe], pipe.done, t0 + p["timeout"], maybe_seek)
    if p.get("stats_elem"):
        res["stats_end"] = _stats(Gst, pipe, p["stats_elem"])
    res["null_seconds"] = pipe.to_null()
    if p.get("stats_elem"):
        res["stats_null"] = _stats(Gst, pipe, p["stats_elem"])
    res.update(pipe.summary())
    res["probes"] = {k: r.items for k, r in pipe.recorders.items()}
    return res


def _scenario_loopback(Gst, p: dict) -> dict:
    """Player and publisher pipelines in this one process."""
    t0 = time.monotonic()
    deadline = t0 + p["timeout"]
    ng = _nginx_stat(p["http_port"])
    play = _Pipe(Gst, p["play_desc"], t0)
    pub = _Pipe(Gst, p["pub_desc"], t0)
    res: dict = {}
    play.pipeline.set_state(Gst.State.PLAYING)
    seen = _run_until([play], lambda: play.done() or ng.players(p["app"], p["stream"]), deadline)
    res["player_seen"] = seen and not play.done()
    if res["player_seen"]:
        pub.pipeline.set_state(Gst.State.PLAYING)
        res["timed_out"] = not _run_until([play, pub], lambda: (play.done() and pub.done()) or
                                          play.error or pub.error, deadline)
    res["null_seconds"] = pub.to_null() + play.to_null()
    res["play"], res["pub"] = play.summary(), pub.summary()
    return res


def _scenario_idle(Gst, p: dict) -> dict:
    """appsrc ! rtmpsink publishes the FLV header and the first tags of the
    fixture; the player subscribes; the publisher sends some more tags (which
    the player gets), then stays silent without EOS or unpublishing."""
    t0 = time.monotonic()
    deadline = t0 + p["timeout"]
    ng = _nginx_stat(p["http_port"])
    flv = H.read_flv(p["fixture"])
    n1, n2 = p["n_tags"]
    whole = H.flv_bytes(H.FlvFile(flv.flags, flv.tags[:n2]))
    first = H.flv_bytes(H.FlvFile(flv.flags, flv.tags[:n1]))
    pub = _Pipe(Gst, f"appsrc name=in caps=video/x-flv ! rtmpsink sync=false location={p['url']}", t0)
    appsrc = pub.pipeline.get_by_name("in")
    pub.pipeline.set_state(Gst.State.PLAYING)
    appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(first))
    res: dict = {}
    res["publisher_seen"] = _run_until([pub], lambda: pub.done() or
                                       ng.publishers(p["app"], p["stream"]), deadline)
    play = _Pipe(Gst, p["play_desc"], t0, {"sink": "s.sink"})
    res["play_started_t"] = time.monotonic() - t0
    play.pipeline.set_state(Gst.State.PLAYING)
    res["player_seen"] = _run_until([pub, play], lambda: play.done() or
                                    ng.players(p["app"], p["stream"]), deadline)
    appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(whole[len(first):]))
    res["pushed_rest_t"] = time.monotonic() - t0
    res["timed_out"] = not _run_until([pub, play], play.done, deadline)
    res["last_buffer_t"] = play.recorders["sink"].last_buffer_t
    res["n_buffers"] = play.recorders["sink"].n_buffers
    res["null_seconds"] = play.to_null()
    res["pub_null_seconds"] = pub.to_null()
    res["play"], res["pub"] = play.summary(), pub.summary()
    return res


_SCENARIOS = {"play": _scenario_play, "loopback": _scenario_loopback, "idle": _scenario_idle}


def _gi_main(argv: list[str]) -> int:
    scenario, params, result_path = argv[0], json.loads(argv[1]), Path(argv[2])
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    res = _SCENARIOS[scenario](Gst, params)
    tmp = result_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(res))
    os.replace(tmp, result_path)
    return 0


if __name__ == "__main__":
    sys.exit(_gi_main(sys.argv[1:]))
