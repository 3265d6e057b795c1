"""RTMPS: rtmpsink and rtmpsrc over TLS to nginx-rtmp, with nginx's stream
module terminating TLS in front of it (tls_support.TlsTerminator) and a test
CA made with the openssl tool.

 * publishing with the CA given (tls-ca-file): nginx's recording is exactly
   what was published (as in test_publish.py);
 * playing with rtmpsrc over rtmps: every packet of the fixture arrives;
 * a self-signed certificate and a certificate for another host are
   rejected by default with a message that says what is wrong with the
   certificate, and accepted only when tls-validation-flags leave that
   problem out (rtmp2's meaning of the flags).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import harness as H
import tls_support as T

# tls-validation-flags as gst-launch takes them (GTlsCertificateFlags nicks).
ALL_BUT_UNKNOWN_CA = "bad-identity+not-activated+expired+revoked+insecure+generic-error"
ALL_BUT_BAD_IDENTITY = "unknown-ca+not-activated+expired+revoked+insecure+generic-error"


@pytest.fixture(scope="session")
def pki(tools, tmp_path_factory) -> T.Pki:
    return T.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls(nginx, pki, tmp_path):
    certs = {"good": pki.server, "self": pki.self_signed, "other": pki.other_host}
    with T.TlsTerminator(nginx.port, certs, workdir=tmp_path / "tls") as terminator:
        yield terminator


def publish(fixture: Path, url: str, options: str = "", timeout: float = 120) -> H.GstResult:
    return H.gst_launch(f"filesrc location={fixture} ! rtmpsink sync=false location={url} {options}",
                        timeout=timeout)


def assert_published(res: H.GstResult, nginx: H.NginxRtmp, stream: str, fixture: Path) -> None:
    assert res.returncode == 0 and not res.timed_out, res.describe()
    recorded = nginx.wait_recorded(stream)
    assert H.count_frames(recorded) == H.count_frames(fixture)


def assert_rejected(res: H.GstResult, *needles: str) -> None:
    assert res.returncode != 0 and not res.timed_out, res.describe()
    output = res.stdout + res.stderr
    assert "ERROR" in output, res.describe()
    for needle in needles:
        assert needle in output, f"{needle!r} not in the error:\n{res.describe()}"


def test_publish_over_rtmps_is_exact(sink, nginx, tls, pki, stream_name, fixture_bf2):
    res = publish(fixture_bf2, tls.url("good", stream_name), f"tls-ca-file={pki.ca}")
    assert res.returncode == 0 and not res.timed_out, res.describe()
    recorded = nginx.wait_recorded(stream_name)
    H.assert_nginx_recording_exact(fixture_bf2, recorded)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(recorded),
                          ignore_repeated_extradata=True)
    assert nginx.log_problems() == []


def test_play_over_rtmps(sink, nginx, tls, pki, tmp_path, stream_name, fixture_bf2):
    """rtmpsrc over rtmps subscribes, rtmpsink over rtmps publishes; the
    player ends by itself with EOS and has every packet of the fixture."""
    url = tls.url("good", stream_name)
    played = tmp_path / "played.flv"
    argv = [H.GST_LAUNCH, "rtmpsrc", f"location={url}", f"tls-ca-file={pki.ca}", "!",
            "filesink", f"location={played}"]
    with H.BackgroundProcess(argv, tmp_path / "player.log") as player:
        nginx.wait_player("live", stream_name)
        pub = publish(fixture_bf2, url, f"tls-ca-file={pki.ca}", timeout=60)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
        rc = player.wait(20)
        log = player.log()
    assert rc == 0 and "Got EOS from element" in log, log
    assert H.count_frames(played) == H.count_frames(fixture_bf2)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(played), per_media=True,
                          fields=("dts", "pts", "size", "md5"))


def test_system_store_does_not_trust_the_test_ca(sink, tls, stream_name, fixture_bf2):
    res = publish(fixture_bf2, tls.url("good", stream_name), timeout=30)
    assert_rejected(res, "TLS certificate of localhost not trusted", "(unknown CA)",
                    "tls-ca-file")


def test_self_signed_rejected_by_default(sink, tls, stream_name, fixture_bf2):
    res = publish(fixture_bf2, tls.url("self", stream_name), timeout=30)
    assert_rejected(res, "TLS certificate of localhost not trusted", "self-signed certificate")


@pytest.mark.parametrize("flags", ["0", ALL_BUT_UNKNOWN_CA], ids=["none", "all-but-unknown-ca"])
def test_self_signed_accepted_when_flags_allow(sink, nginx, tls, stream_name, fixture_bf2,
                                               flags):
    res = publish(fixture_bf2, tls.url("self", stream_name), f"tls-validation-flags={flags}")
    assert_published(res, nginx, stream_name, fixture_bf2)


def test_wrong_host_rejected_by_default(sink, tls, pki, stream_name, fixture_bf2):
    res = publish(fixture_bf2, tls.url("other", stream_name), f"tls-ca-file={pki.ca}",
                  timeout=30)
    assert_rejected(res, "TLS certificate is for 'other.example', not 'localhost'")
    assert "not trusted" not in res.stdout + res.stderr, res.describe()


def test_wrong_host_accepted_when_flags_exclude_bad_identity(sink, nginx, tls, pki, stream_name,
                                                             fixture_bf2):
    res = publish(fixture_bf2, tls.url("other", stream_name),
                  f"tls-ca-file={pki.ca} tls-validation-flags={ALL_BUT_BAD_IDENTITY}")
    assert_published(res, nginx, stream_name, fixture_bf2)


def test_wrong_host_still_rejected_when_only_unknown_ca_is_allowed(sink, tls, stream_name,
                                                                   fixture_bf2):
    """Without the CA the certificate is both untrusted and for another host:
    allowing an unknown CA must not hide the wrong host."""
    res = publish(fixture_bf2, tls.url("other", stream_name),
                  f"tls-validation-flags={ALL_BUT_UNKNOWN_CA}", timeout=30)
    assert_rejected(res, "is for 'other.example', not 'localhost'")


def test_missing_ca_file_is_a_settings_error(sink, tls, tmp_path, stream_name, fixture_bf2):
    res = publish(fixture_bf2, tls.url("good", stream_name),
                  f"tls-ca-file={tmp_path / 'missing.pem'}", timeout=30)
    assert_rejected(res, "missing.pem", "No such file")


def test_publish_over_rtmps_through_a_socks5_proxy(sink, nginx, tls, pki, tmp_path, stream_name,
                                                   fixture_bf2):
    """TLS on top of the SOCKS layer: the proxy resolves "localhost", the
    certificate is checked against "localhost" all the same."""
    import socks_support as S
    if not S.have_microsocks():
        pytest.skip("microsocks is not installed")
    with S.Microsocks(workdir=tmp_path / "proxy") as proxy:
        res = publish(fixture_bf2, tls.url("good", stream_name),
                      f"tls-ca-file={pki.ca} proxy={proxy.url('socks5')}")
        assert res.returncode == 0 and not res.timed_out, res.describe()
        recorded = nginx.wait_recorded(stream_name)
        proxy.stop()
        assert f"localhost:{tls.ports['good']}" in proxy.connections(), proxy.connections()
    H.assert_nginx_recording_exact(fixture_bf2, recorded)
    H.assert_same_packets(H.framemd5(fixture_bf2), H.framemd5(recorded),
                          ignore_repeated_extradata=True)
