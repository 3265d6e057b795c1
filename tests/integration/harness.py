"""Integration-test harness: real RTMP peers on loopback.

Everything here drives *independent* programs (nginx + nginx-rtmp-module,
ffmpeg/ffprobe, gst-launch-1.0) as subprocesses and inspects the files they
write.  Nothing in here links against or imports the plugin under test.

Environment variables understood:

  RTMP_TEST_SINK   element under test (default "rtmpsink"); set it to
                   "rtmp2sink" to validate the harness against GStreamer's
                   own RTMP sink.
  RTMP_TEST_CACHE  directory for cached media fixtures (default: a
                   directory in the system temp dir).
  RTMP_PLUGIN_FILE expected path of our plugin .so (used by the factory test).

Every subprocess started here is put in its own session (process group) and
registered in a module-level table; context managers stop them on exit and an
atexit hook kills whatever is still registered, so no process outlives the
test run, also when a test fails or raises.

The helpers live in modules next to this one; this module re-exports them so
that `import harness as H` keeps giving every name:

  external_tools  program paths (NGINX, FFMPEG, ...), SINK, LOOPBACK, missing_tools()
  processes       process bookkeeping, BackgroundProcess, gst_launch(), FfmpegSubscriber
  ports           free_port(), port_accepts(), port_listening()
  waiting         wait_until(), wait_file_stable()
  nginx           NginxRtmp
  media           make_fixture(), framemd5(), count_frames(), packet comparisons
  flv             read_flv(), flv_bytes(), nginx_record_model(), tag comparisons
"""

from __future__ import annotations

from external_tools import (FFMPEG, FFPROBE, GST_INSPECT, GST_LAUNCH, LOOPBACK, NGINX,
                            RTMP_MODULE, SINK, missing_tools)
from flv import (TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO, FlvFile, FlvTag, assert_nginx_recording_exact,
                 complete_tags, diff_tags, flv_bytes, nginx_record_model, read_flv)
from media import (_FIXTURE_RECIPE_VERSION, _PACKET_FIELDS, FrameMd5, Packet, StreamInfo,
                   _drop_repeated_extradata, _ffmpeg_version, _fmt_packet, assert_same_packets,
                   cache_dir, count_frames, diff_packets, framemd5, make_fixture)
from nginx import NginxRtmp
from ports import free_port, port_accepts, port_listening
from probes import probe_buffers
from processes import (BackgroundProcess, FfmpegSubscriber, GstResult, _forget, _kill_everything,
                       _kill_group, _live_lock, _live_procs, _reap, _spawn, gst_element_exists,
                       gst_launch, stop_process)
from waiting import wait_file_stable, wait_until

__all__ = [
    # external_tools
    "FFMPEG", "FFPROBE", "GST_INSPECT", "GST_LAUNCH", "LOOPBACK", "NGINX", "RTMP_MODULE", "SINK",
    "missing_tools",
    # flv
    "TAG_AUDIO", "TAG_SCRIPT", "TAG_VIDEO", "FlvFile", "FlvTag", "assert_nginx_recording_exact",
    "complete_tags", "diff_tags", "flv_bytes", "nginx_record_model", "read_flv",
    # media
    "FrameMd5", "Packet", "StreamInfo", "assert_same_packets", "cache_dir", "count_frames",
    "diff_packets", "framemd5", "make_fixture",
    # nginx
    "NginxRtmp",
    # ports
    "free_port", "port_accepts", "port_listening",
    # probes
    "probe_buffers",
    # processes
    "BackgroundProcess", "FfmpegSubscriber", "GstResult", "gst_element_exists", "gst_launch",
    "stop_process",
    # waiting
    "wait_file_stable", "wait_until",
]
