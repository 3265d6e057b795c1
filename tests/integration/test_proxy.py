"""rtmpsink and rtmpsrc through real SOCKS proxies (socks_support.py):
microsocks (SOCKS5, with and without username/password), Dante (SOCKS5 and
SOCKS4) and a scripted SOCKS4a peer (Dante 1.4 does not implement SOCKS4a,
see socks_support.py).

Publishing: the fixture through the proxy to nginx-rtmp (`record all`); the
recording must be exactly what was published (harness.nginx_record_model and
framemd5, as in test_publish.py), and the proxy's log must show that it made
the connection.  For SOCKS5 and SOCKS4a the server is given as "localhost",
a name the proxy resolves (sent as a domain name, not as an address).

Playing: a VOD file through the proxy; the written FLV is the served file,
byte for byte (as test_play.py's test_vod_play_whole).

Errors: a wrong proxy password, a closed proxy port, a server the proxy
cannot reach, and a SOCKS4 proxy given a host name; each must fail with a
message on the bus that says what happened (and never shows the password).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

import harness as H
import socks_support as S

PASSWORD = "p@ss:w0rd-5e1f"  # given percent-encoded in the URL; never in any output
PASSWORD_IN_URL = "p%40ss%3Aw0rd-5e1f"


@pytest.fixture(scope="module")
def rtmpsink(sink) -> str:
    """Our sink (the proxy property is ours; rtmp2sink has none)."""
    if sink != "rtmpsink":
        pytest.skip(f"proxy tests need our rtmpsink (RTMP_TEST_SINK={sink!r})")
    return sink


@contextlib.contextmanager
def proxy_kind(kind: str, workdir: Path):
    """(proxy object, proxy URL, server host to use through it) for `kind`."""
    if kind.startswith("microsocks") and not S.have_microsocks():
        pytest.skip("microsocks is not installed")
    if kind.startswith("danted") and not S.have_danted():
        pytest.skip("danted is not installed")
    if kind == "microsocks-socks5":
        with S.Microsocks(workdir=workdir) as p:
            yield p, p.url("socks5"), "localhost"
    elif kind == "microsocks-socks5h-password":
        with S.Microsocks("alice", PASSWORD, workdir=workdir) as p:
            yield p, p.url("socks5h", f"alice:{PASSWORD_IN_URL}@"), "localhost"
    elif kind == "danted-socks5":
        with S.Danted(workdir=workdir) as p:
            yield p, p.url("socks"), "localhost"
    elif kind == "danted-socks4":
        with S.Danted(workdir=workdir) as p:
            yield p, p.url("socks4", "rtmpuser@"), H.LOOPBACK
    elif kind == "scripted-socks4a":
        with S.ScriptedSocks4a() as p:
            yield p, p.url("socks4a", "rtmpuser@"), "localhost"
    else:
        raise ValueError(kind)


def relayed_to(proxy, host: str, port: int) -> bool:
    """Whether the proxy's records show a connection to host:port."""
    if isinstance(proxy, S.Danted):  # "... -> 127.0.0.1.PORT" (Dante writes ADDR.PORT)
        return any(f"{H.LOOPBACK}.{port}" in line for line in proxy.connections())
    return f"{host}:{port}" in proxy.connections()


KINDS = ["microsocks-socks5", "microsocks-socks5h-password", "danted-socks5", "danted-socks4",
         "scripted-socks4a"]


@pytest.mark.parametrize("kind", KINDS)
def test_publish_through_proxy(rtmpsink, nginx, tmp_path, stream_name, fixture_bf2, kind):
    with proxy_kind(kind, tmp_path / "proxy") as (proxy, proxy_url, host):
        url = f"rtmp://{host}:{nginx.port}/live/{stream_name}"
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! {rtmpsink} sync=false location={url} "
                           f"proxy={proxy_url}", timeout=120)
        assert res.returncode == 0 and not res.timed_out, res.describe()
        recorded = nginx.wait_recorded(stream_name)
        proxy.stop()
        assert relayed_to(proxy, host, nginx.port), proxy.connections()
    assert PASSWORD not in res.stdout + res.stderr
    assert nginx.log_problems() == []
    H.assert_nginx_recording_exact(fixture_bf2, recorded)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(recorded),
                          ignore_repeated_extradata=True)


def test_play_through_proxy(rtmpsink, tmp_path, fixture_bf2):
    """rtmpsrc through microsocks with a password plays a VOD file whole:
    EOS, and the written FLV is the served file byte for byte."""
    work = tmp_path / "nginx"
    (work / "vod").mkdir(parents=True)
    clip = work / "vod" / "clip.flv"
    r = subprocess.run([H.FFMPEG, "-nostdin", "-v", "error", "-i", str(fixture_bf2), "-c", "copy",
                        "-flvflags", "add_keyframe_index", "-f", "flv", str(clip)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    played = tmp_path / "played.flv"
    with contextlib.ExitStack() as stack:
        ng = stack.enter_context(H.NginxRtmp("application vod { play @DIR@/vod; }", workdir=work))
        proxy, proxy_url, host = stack.enter_context(
            proxy_kind("microsocks-socks5h-password", tmp_path / "proxy"))
        argv = [H.GST_LAUNCH, "rtmpsrc", f"location=rtmp://{host}:{ng.port}/vod/clip.flv",
                f"proxy={proxy_url}", "!", "filesink", f"location={played}"]
        with H.BackgroundProcess(argv, tmp_path / "player.log") as p:
            rc = p.wait(60)
            log = p.log()
        proxy.stop()
        assert rc == 0 and "Got EOS from element" in log, log
        assert relayed_to(proxy, host, ng.port), proxy.connections()
        assert ng.log_problems() == []
    assert PASSWORD not in log
    assert played.read_bytes() == clip.read_bytes()
    H.assert_same_packets(H.framemd5(clip), H.framemd5(played))


def publish_error(rtmpsink: str, fixture: Path, url: str, proxy_url: str) -> str:
    """Runs a publish that must fail; returns what gst-launch printed (the
    bus's error message)."""
    res = H.gst_launch(f"filesrc location={fixture} ! {rtmpsink} sync=false location={url} "
                       f"proxy={proxy_url}", timeout=60)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and not res.timed_out, res.describe()
    assert "ERROR: from element" in out and f"Could not publish to {url}" in out, out
    return out


def test_wrong_proxy_password(rtmpsink, tmp_path, fixture_bf2):
    with S.Microsocks("alice", "the-right-one", workdir=tmp_path / "proxy") as proxy:
        url = f"rtmp://localhost:{H.free_port()}/live/x"
        out = publish_error(rtmpsink, fixture_bf2, url,
                            proxy.url("socks5", f"alice:{PASSWORD_IN_URL}@"))
    assert (f"proxy {H.LOOPBACK}:{proxy.port} rejected the username/password of user 'alice'"
            in out), out
    assert PASSWORD not in out and PASSWORD_IN_URL not in out


def test_proxy_port_closed(rtmpsink, tmp_path, fixture_bf2):
    port = H.free_port()
    url = f"rtmp://localhost:{H.free_port()}/live/x"
    out = publish_error(rtmpsink, fixture_bf2, url, f"socks5://{H.LOOPBACK}:{port}")
    assert f"proxy: connection refused by {H.LOOPBACK}:{port}" in out, out


def test_server_unreachable_through_socks5(rtmpsink, tmp_path, fixture_bf2):
    """microsocks cannot connect to the (closed) server port: SOCKS5 reply 5."""
    closed = H.free_port()
    with S.Microsocks(workdir=tmp_path / "proxy") as proxy:
        url = f"rtmp://{H.LOOPBACK}:{closed}/live/x"
        out = publish_error(rtmpsink, fixture_bf2, url, proxy.url("socks5"))
    assert (f"proxy {H.LOOPBACK}:{proxy.port} refused the connection to {H.LOOPBACK}:{closed}: "
            "connection refused (SOCKS5 reply 5)") in out, out


def test_server_unreachable_through_socks4(rtmpsink, tmp_path, fixture_bf2):
    """Dante cannot connect to the (closed) server port: SOCKS4 reply 91."""
    if not S.have_danted():
        pytest.skip("danted is not installed")
    closed = H.free_port()
    with S.Danted(workdir=tmp_path / "proxy") as proxy:
        url = f"rtmp://{H.LOOPBACK}:{closed}/live/x"
        out = publish_error(rtmpsink, fixture_bf2, url, proxy.url("socks4"))
    assert (f"proxy {H.LOOPBACK}:{proxy.port} refused the connection to {H.LOOPBACK}:{closed}: "
            "request rejected or failed (SOCKS4 reply 91)") in out, out


def test_socks4_needs_an_address(rtmpsink, tmp_path, fixture_bf2):
    """SOCKS4 carries only IPv4 addresses: a host name is a settings error
    that suggests socks4a, before anything is connected."""
    if not S.have_danted():
        pytest.skip("danted is not installed")
    with S.Danted(workdir=tmp_path / "proxy") as proxy:
        url = f"rtmp://localhost:{H.free_port()}/live/x"
        res = H.gst_launch(f"filesrc location={fixture_bf2} ! {rtmpsink} sync=false location={url} "
                           f"proxy={proxy.url('socks4')}", timeout=60)
        out = res.stdout + res.stderr
        # Refused in start(), as an unusable location, before any connection.
        assert res.returncode != 0 and not res.timed_out, res.describe()
        assert f"Invalid RTMP settings for {url}: cannot use proxy" in out, out
        proxy.stop()
        assert proxy.connections() == []
    assert "SOCKS4 needs an IPv4 address for the server, not 'localhost': use socks4a://" in out, out
