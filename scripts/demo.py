#!/usr/bin/env python3
"""Loopback demo: nginx-rtmp on 127.0.0.1, publish a real H.264+AAC FLV with rtmpsink, play it
back at the same time with rtmpsrc, and print what happened."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import harness as H  # noqa: E402  (nginx, fixtures and ffprobe helpers shared with the tests)


def main() -> int:
    build = Path(os.environ.get("BUILD_DIR", ROOT / "build"))
    os.environ["GST_PLUGIN_PATH"] = str(build / "gst")
    os.environ["GST_REGISTRY_1_0"] = str(build / "demo-registry.bin")
    with tempfile.TemporaryDirectory(prefix="rtmp-demo-") as tmp:
        tmp = Path(tmp)
        fixture = H.make_fixture(tmp / "in.flv", seconds=4)
        counts_in = H.count_frames(fixture)
        print(f"fixture: {fixture.name}: {counts_in['video']} video + {counts_in['audio']} audio frames")
        with H.NginxRtmp(workdir=tmp / "nginx") as ng:
            url = ng.url("live", "demo")
            print(f"nginx-rtmp listening on 127.0.0.1:{ng.port}")
            played = tmp / "played.flv"
            player = subprocess.Popen(
                [H.GST_LAUNCH, "rtmpsrc", f"location={url}", "!", "filesink", f"location={played}"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            ng.wait_player("live", "demo")
            print(f"rtmpsrc is playing {url}")
            t0 = time.monotonic()
            pub = H.gst_launch(f"filesrc location={fixture} ! rtmpsink location={url}", timeout=60)
            print(f"rtmpsink published in {time.monotonic() - t0:.2f} s (exit code {pub.returncode})")
            try:
                out, _ = player.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                player.kill()
                out, _ = player.communicate()
            print(f"rtmpsrc ended with exit code {player.returncode} "
                  f"({'EOS' if 'Got EOS' in out else 'no EOS'})")
        counts_out = H.count_frames(played) if played.exists() and played.stat().st_size else {}
        print(f"played back: {counts_out.get('video', 0)} video + {counts_out.get('audio', 0)} audio frames")
        same = counts_out == counts_in and pub.returncode == 0 and player.returncode == 0
        if same:
            H.assert_same_packets(H.framemd5(fixture), H.framemd5(played), per_media=True,
                                  fields=("dts", "pts", "size", "md5"))
        print("RESULT: " + ("every frame arrived, identical (timestamps and content)" if same
                            else "MISMATCH"))
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
