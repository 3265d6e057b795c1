"""Handshakes and server interop for publishing.

- `handshake=auto` (the default: Flash Player 9 digest, plain when the server answers without a
  digest), `plain` and `digest` against nginx-rtmp, which answers digests; what nginx recorded
  is compared packet by packet with what was published, and rtmpsrc plays it back with the
  digest handshake too.
- Publishing to FFmpeg's listen server (`ffmpeg -listen 1 -i rtmp://...`), which answers with a
  plain handshake and sends commands without transaction ids; `handshake=digest` refuses it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import harness as H


@pytest.mark.parametrize("mode", ["auto", "plain", "digest"])
def test_publish_and_play_with_nginx(sink, tmp_path, fixture_bf2, mode):
    with H.NginxRtmp(workdir=tmp_path / "nginx") as ng:
        url = ng.url("live", f"hs-{mode}")
        played = tmp_path / "played.flv"
        player = H.BackgroundProcess(
            [H.GST_LAUNCH, "rtmpsrc", f"location={url}", f"handshake={mode}", "!", "filesink",
             f"location={played}"], tmp_path / "player.log").start()
        ng.wait_player("live", f"hs-{mode}")
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! {sink} sync=false location={url} "
                           f"handshake={mode}", timeout=60)
        assert res.returncode == 0, res.describe()
        recorded = ng.wait_recorded(f"hs-{mode}")
        assert player.wait(30) == 0, player.log()
    H.assert_nginx_recording_exact(fixture_bf2, recorded)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(played), per_media=True,
                          fields=("dts", "pts", "size", "md5"), ignore_repeated_extradata=True)


def _ffmpeg_server(tmp_path: Path, port: int, out: Path) -> H.BackgroundProcess:
    """The one-shot server, not started yet (use it with `with`, then _wait_listening)."""
    url = f"rtmp://{H.LOOPBACK}:{port}/app/stream"
    return H.BackgroundProcess([H.FFMPEG, "-hide_banner", "-nostdin", "-v", "verbose", "-y",
                                "-listen", "1", "-i", url, "-c", "copy", "-f", "flv", str(out)],
                               tmp_path / "ffmpeg-server.log")


def _wait_listening(server: H.BackgroundProcess, port: int) -> None:
    # Not port_accepts(): a probing connection would use up the one-shot server.
    H.wait_until(lambda: H.port_listening(port) or not server.running(), 15,
                 what="ffmpeg to listen")
    assert server.running(), server.log()


@pytest.mark.parametrize("mode", ["auto", "plain"])
def test_publish_to_ffmpeg_listen_server(sink, tmp_path, fixture_bf2, mode):
    port = H.free_port()
    out = tmp_path / "received.flv"
    with _ffmpeg_server(tmp_path, port, out) as server:
        _wait_listening(server, port)
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! {sink} sync=false handshake={mode} "
                           f"location=rtmp://{H.LOOPBACK}:{port}/app/stream", timeout=60)
        assert res.returncode == 0, res.describe()
        assert server.wait(30) == 0, server.log()
    assert H.count_frames(out) == H.count_frames(fixture_bf2)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(out), per_media=True,
                          fields=("dts", "pts", "size", "md5"), ignore_repeated_extradata=True)


def test_digest_only_refuses_a_plain_server(sink, tmp_path, fixture_bf2):
    port = H.free_port()
    with _ffmpeg_server(tmp_path, port, tmp_path / "received.flv") as server:
        _wait_listening(server, port)
        url = f"rtmp://{H.LOOPBACK}:{port}/app/stream"
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! {sink} sync=false handshake=digest "
                           f"location={url}", timeout=60)
    assert res.returncode != 0
    assert "no valid digest" in res.stdout + res.stderr, res.describe()
