"""RTMPT (rtmpt://) and RTMPTS (rtmpts://): rtmpsink and rtmpsrc through an
HTTP tunnel gateway (rtmpt_gateway.py, the server side of RTMPT in front of
nginx-rtmp), compared packet for packet with what nginx recorded / sent.

Also: the gateway refusing /open/1 gives a clear error on the bus, and the
gateway dropping the connection mid-stream ends the pipeline with an error
instead of a hang.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import harness as H
from rtmpt_gateway import RtmptGateway, make_self_signed


def rtmpt_url(gw: RtmptGateway, stream: str, scheme: str = "rtmpt") -> str:
    return f"{scheme}://{H.LOOPBACK}:{gw.port}/live/{stream}"


def check_tunnel_use(gw: RtmptGateway) -> None:
    """The client opened one session, sent and polled through it, closed it,
    with sequence numbers in order and well-formed requests."""
    cmds = gw.commands()
    assert gw.problems == [], gw.problems
    assert cmds.count("open") == 1, cmds[:20]
    assert cmds[0] == "open", cmds[:20]
    assert "send" in cmds and "idle" in cmds, cmds[:40]
    assert cmds[-1] == "close", cmds[-20:]
    assert gw.closed_sessions == 1


def assert_recorded_exactly(nginx: H.NginxRtmp, name: str, published: Path) -> None:
    recorded = nginx.wait_recorded(name)
    assert nginx.log_problems() == []
    H.assert_nginx_recording_exact(published, recorded)
    H.assert_same_packets(H.framemd5(published), H.framemd5(recorded),
                          ignore_repeated_extradata=True)


def test_rtmpt_publish(sink, nginx, tmp_path, stream_name, fixture_bf2):
    """filesrc ! rtmpsink sync=false location=rtmpt://...: nginx records exactly the
    fixture (same model as test_publish.py)."""
    with RtmptGateway(nginx.port) as gw:
        url = rtmpt_url(gw, stream_name)
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url}",
                           timeout=120)
        assert res.returncode == 0 and not res.timed_out, res.describe()
        assert_recorded_exactly(nginx, stream_name, fixture_bf2)
        check_tunnel_use(gw)


def test_rtmpt_play(sink, nginx, tmp_path, stream_name, fixture_bf2):
    """rtmpsrc location=rtmpt://... subscribes through the tunnel, rtmpsink
    publishes directly; the played file has the fixture's packets (per media
    type, as test_play.py checks a live play) and ends with EOS."""
    played = tmp_path / "played.flv"
    with RtmptGateway(nginx.port) as gw:
        argv = [H.GST_LAUNCH, "rtmpsrc", f"location={rtmpt_url(gw, stream_name)}", "!",
                "filesink", f"location={played}"]
        with H.BackgroundProcess(argv, tmp_path / "player.log") as player:
            nginx.wait_player("live", stream_name)
            pub = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false "
                               f"location={nginx.url('live', stream_name)}", timeout=60)
            assert pub.returncode == 0 and not pub.timed_out, pub.describe()
            rc = player.wait(30)
            log = player.log()
        assert rc == 0 and "Got EOS from element" in log, log
        assert gw.problems == [], gw.problems
        assert gw.commands().count("idle") > 0
    counts = H.count_frames(fixture_bf2)
    assert H.count_frames(played) == counts
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(played), per_media=True,
                          fields=("dts", "pts", "size", "md5"))


def test_rtmpt_open_refused(sink, nginx, tmp_path, stream_name, fixture_bf2):
    """The gateway answers /open/1 with 404: the sink fails at once with a
    message naming the status and the request."""
    with RtmptGateway(nginx.port, open_status=404) as gw:
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false "
                           f"location={rtmpt_url(gw, stream_name)}", timeout=60)
    assert res.returncode != 0 and not res.timed_out, res.describe()
    out = res.stdout + res.stderr
    assert "RTMPT server answered 404 (Not Found) to /open/1" in out, res.describe()


def test_rtmpt_gateway_drops_mid_stream(sink, nginx, tmp_path, stream_name, fixture_bf2):
    """The gateway closes the HTTP connection once half the file went through:
    the sink posts an error (the connection was lost) and the pipeline ends."""
    with RtmptGateway(nginx.port, drop_after_bytes=fixture_bf2.stat().st_size // 2) as gw:
        # flvdemux ! flvmux publishes in real time (clock), so the drop happens mid-stream.
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! flvdemux name=d "
                           f"flvmux name=m streamable=true ! rtmpsink "
                           f"location={rtmpt_url(gw, stream_name)} "
                           f"d.video ! queue ! m.video d.audio ! queue ! m.audio", timeout=60)
        assert gw.dropped.is_set()
    assert res.returncode != 0 and not res.timed_out, res.describe()
    assert "closed the connection" in res.stdout + res.stderr, res.describe()


@pytest.fixture(scope="module")
def gateway_cert(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not found")
    return make_self_signed(tmp_path_factory.mktemp("rtmpts"))


@pytest.mark.parametrize("trust", ["ca-file", "no-validation"])
def test_rtmpts_publish(sink, nginx, tmp_path, stream_name, fixture_bf2, gateway_cert, trust):
    """rtmpts://: TLS to the gateway, the tunnel inside; nginx records exactly
    the fixture. The gateway's self-signed certificate is trusted with
    tls-ca-file, or not checked with tls-validation-flags=0."""
    cert, key = gateway_cert
    props = f"tls-ca-file={cert}" if trust == "ca-file" else "tls-validation-flags=0"
    with RtmptGateway(nginx.port, tls=(cert, key)) as gw:
        url = rtmpt_url(gw, stream_name, "rtmpts")
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url} {props}",
                           timeout=120)
        assert res.returncode == 0 and not res.timed_out, res.describe()
        assert_recorded_exactly(nginx, stream_name, fixture_bf2)
        check_tunnel_use(gw)


def test_rtmpts_untrusted_certificate(sink, nginx, tmp_path, stream_name, fixture_bf2,
                                      gateway_cert):
    """rtmpts:// to a self-signed gateway without trusting it fails in the TLS
    handshake, before any HTTP request."""
    cert, key = gateway_cert
    with RtmptGateway(nginx.port, tls=(cert, key)) as gw:
        url = rtmpt_url(gw, stream_name, "rtmpts")
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! rtmpsink sync=false location={url}",
                           timeout=60)
        assert gw.requests == []
    assert res.returncode != 0 and not res.timed_out, res.describe()

