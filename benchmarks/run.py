#!/usr/bin/python3
"""Benchmarks of the native RTMP elements (rtmpsink, rtmpsrc) against
gst-plugins-bad's rtmp2sink / rtmp2src, on loopback against nginx-rtmp.

    benchmarks/run.py [--reps 5] [--instances 500] [--update-doc]

Sections (all in one run, each repeated --reps times, runs interleaved in a
shuffled order per repetition so that background load hits every variant):

  publish  a 60 s 720p H.264/AAC FLV pushed as fast as possible
           (filesrc ! flvdemux ! flvmux ! SINK sync=false) into nginx `live`;
           fakesink is the floor; plus the plain `filesrc ! rtmpsink` path.
  play     rtmpsrc vs rtmp2src ! fakesink: both subscribed to the same live
           stream published by ffmpeg (as fast as possible, and in real time),
           and each alone on nginx VOD (`play`); also rtmpsrc with a longer
           batch-latency than its default (less CPU for up to that much latency).
  rtt      set-up through ../shared/tools/delayproxy.py (--delay-ms each way):
           TCP connect, NetStream.Publish/Play.Start, first buffer.
  scale    N rtmpsink in one process (scale_probe.py), N, N/2, N/4, with a
           fakesink floor at each size and rtmp2sink at N.

Prints medians (and min..max) and ratios; writes Markdown + JSON results
(build/bench-cache/results-*.{md,json}); --update-doc also replaces the
results block of docs/performance.md.  Nothing here asserts on speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as C  # noqa: E402
from common import H, median, ratio  # noqa: E402

MB = 1e6


# --------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------

def f(x, digits=3, unit=""):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if abs(x) >= 100:
        s = f"{x:.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.2f}"
    return s + unit


def fr(x, rng) -> str:
    """median with its range"""
    if x is None:
        return "–"
    return f"{f(x)} ({rng})" if rng and rng != "n/a" else f(x)


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def text_table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.rjust(widths[i]) if i else c.ljust(widths[i])
                               for i, c in enumerate(r)))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Ctx:
    def __init__(self, args):
        self.args = args
        self.build = Path(args.build_dir).resolve()
        self.cache = Path(args.cache).resolve()
        self.cache.mkdir(parents=True, exist_ok=True)
        self.plugin = self.snapshot_plugin()
        self.env = C.gst_env(self.plugin.parent, self.cache)
        self.logs = self.cache / "logs"
        self.logs.mkdir(exist_ok=True)
        self.seq = 0

    def snapshot_plugin(self) -> Path:
        """Copy build/gst/libgstrtmp.so (self-contained: the core and session
        libraries are linked in statically) into the cache, so that a rebuild
        of the build directory during the run cannot change what is measured."""
        src = self.build / "gst" / "libgstrtmp.so"
        d = self.cache / "plugin"
        d.mkdir(exist_ok=True)
        dst = d / "libgstrtmp.so"
        if src.exists():
            tmp = d / f".libgstrtmp.so.{os.getpid()}"
            shutil.copy2(src, tmp)
            os.replace(tmp, dst)
        return dst

    def log_path(self, what: str) -> Path:
        self.seq += 1
        return self.logs / f"{self.seq:04d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', what)}.log"

    def uniq(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}{os.getpid()}x{self.seq}"


# --------------------------------------------------------------------------
# Measured gst-launch runs with stall detection
# --------------------------------------------------------------------------

def run_gst(ctx: Ctx, pipeline: str, what: str, *, timeout: float,
            stall_s: float | None = None) -> C.Measured:
    """gst-launch-1.0 PIPELINE; wall + CPU (wait4 rusage).  With stall_s: if
    the process used no CPU for stall_s seconds (its /proc CPU time did not
    change), it is considered stalled, killed, and marked extra['stalled']."""
    argv = [H.GST_LAUNCH, *shlex.split(pipeline)]
    lp = ctx.log_path(what)
    with open(lp, "wb") as logf:
        t0 = time.monotonic()
        p = C.spawn(argv, env=ctx.env, stdout=logf, stderr=subprocess.STDOUT)
    stalled = False
    if stall_s:
        last_cpu, last_change = -1.0, time.monotonic()
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                wall = time.monotonic() - t0
                C._forget(p)
                return C.Measured(argv, p.returncode, wall, ru.ru_utime, ru.ru_stime,
                                  ru.ru_maxrss, False, lp.read_text(errors="replace"),
                                  {"stalled": False})
            now = time.monotonic()
            try:
                cpu = C.proc_cpu_seconds(p.pid)
            except (OSError, ValueError):
                cpu = last_cpu
            if cpu != last_cpu:
                last_cpu, last_change = cpu, now
            elif now - last_change >= stall_s:
                stalled = True
                stall_wall = last_change - t0
                C.kill_group(p)
                break
            if now - t0 > timeout:
                break
            time.sleep(0.05)
    m = C.wait_measured(p, t0, timeout, lp, argv)
    m.extra["stalled"] = stalled
    if stalled:
        m.extra["stall_wall"] = stall_wall
    return m


def server_bytes_in(ng: C.BenchNginx) -> int:
    return int(ng.stat().findtext("bytes_in") or 0)


def settle_server_bytes(ng: C.BenchNginx, timeout: float = 5.0, quiet: float = 0.3) -> int:
    """nginx's total bytes_in once it stopped changing for `quiet` seconds
    (it may still be reading the tail of a connection when the client process
    has exited)."""
    last, since = server_bytes_in(ng), time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        cur = server_bytes_in(ng)
        if cur != last:
            last, since = cur, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


# --------------------------------------------------------------------------
# 1. Publish throughput
# --------------------------------------------------------------------------

def publish_configs(hd: Path):
    demux_mux = (f"filesrc location={hd} ! flvdemux name=d "
                 f"d.video ! queue ! m.video d.audio ! queue ! m.audio "
                 f"flvmux streamable=true name=m ! ")
    plain = f"filesrc location={hd} ! "
    return [
        # key, pipeline family, sink description ({url} replaced), chunk, ours?
        ("floor", "flvdemux ! flvmux", "fakesink sync=false", None, None),
        ("rtmp2-128", "flvdemux ! flvmux", "rtmp2sink location={url} chunk-size=128 sync=false",
         128, False),
        ("rtmp2-4096", "flvdemux ! flvmux", "rtmp2sink location={url} chunk-size=4096 sync=false",
         4096, False),
        ("ours-128", "flvdemux ! flvmux", "rtmpsink location={url} chunk-size=128 sync=false",
         128, True),
        ("ours-4096", "flvdemux ! flvmux", "rtmpsink location={url} chunk-size=4096 sync=false",
         4096, True),
        ("plain-floor", "filesrc only", "fakesink sync=false", None, None),
        ("plain-ours-4096", "filesrc only", "rtmpsink location={url} chunk-size=4096 sync=false",
         4096, True),
    ], demux_mux, plain


def bench_publish(ctx: Ctx, ng: C.BenchNginx, hd: Path) -> dict:
    a = ctx.args
    configs, demux_mux, plain = publish_configs(hd)
    file_mb = hd.stat().st_size / MB
    runs: dict[str, list[dict]] = {c[0]: [] for c in configs}
    for rep in range(a.publish_reps):
        order = list(configs)
        random.Random(1000 + rep).shuffle(order)
        for key, family, sink, chunk, ours in order:
            url = ng.url("live", ctx.uniq("pub"))
            pipeline = (plain if family == "filesrc only" else demux_mux) + sink.format(url=url)
            b0, n0 = server_bytes_in(ng), ng.cpu_seconds()
            m = run_gst(ctx, pipeline, f"publish-{key}", timeout=a.publish_timeout,
                        stall_s=a.stall_seconds)
            b1 = settle_server_bytes(ng) if "rtmp" in sink else b0
            n1 = ng.cpu_seconds()
            ok = m.returncode == 0 and not m.timed_out and not m.extra.get("stalled")
            r = {"wall": m.wall, "cpu": m.cpu, "user": m.cpu_user, "sys": m.cpu_sys,
                 "rc": m.returncode, "ok": ok, "stalled": bool(m.extra.get("stalled")),
                 "stall_wall": m.extra.get("stall_wall"),
                 "server_mb": (b1 - b0) / MB, "server_cpu": n1 - n0, "rep": rep}
            runs[key].append(r)
            state = "ok" if ok else ("STALLED" if r["stalled"] else f"FAILED rc={m.returncode}")
            log(f"  publish rep {rep + 1}/{a.publish_reps} {key:16s} wall {m.wall:6.2f}s cpu "
                f"{m.cpu:5.2f}s server got {r['server_mb']:6.1f} MB  {state}")
            if not ok and not r["stalled"]:
                log("    " + m.log[-800:].replace("\n", "\n    "))
    # per-rep differences to the floor of the same family and repetition
    floor_key = {"flvdemux ! flvmux": "floor", "filesrc only": "plain-floor"}
    summary = {}
    for key, family, sink, chunk, ours in configs:
        rs = runs[key]
        fl = {r["rep"]: r for r in runs[floor_key[family]]}
        ok_rs = [r for r in rs if r["ok"]]
        above = [r["cpu"] - fl[r["rep"]]["cpu"] for r in ok_rs if fl[r["rep"]]["ok"]]
        # CPU per MB sent, all runs: a stalled run stopped early, so only the
        # share of the floor's work that matches the share of the file sent
        # is taken off (an estimate; exact for completed runs).
        above_all = [(r["cpu"] - fl[r["rep"]]["cpu"] * min(1.0, r["server_mb"] / file_mb),
                      r["server_mb"]) for r in rs if "rtmp" in sink and r["server_mb"] > 0]
        summary[key] = {
            "family": family, "sink": sink.split(" location")[0].split(" sync")[0],
            "chunk": chunk, "ours": ours, "n": len(rs), "completed": len(ok_rs),
            "stalled": sum(1 for r in rs if r["stalled"]),
            "wall": median([r["wall"] for r in ok_rs]),
            "wall_range": C.spread([r["wall"] for r in ok_rs]),
            "cpu": median([r["cpu"] for r in ok_rs]),
            "cpu_above_floor": median(above),
            "cpu_above_floor_range": C.spread(above),
            "ms_per_mb_sent": median([1000 * c / mb for c, mb in above_all]),
            "ms_per_mb_sent_range": C.spread([1000 * c / mb for c, mb in above_all]),
            "server_mb": median([r["server_mb"] for r in rs]) if "rtmp" in sink else None,
            "server_cpu": median([r["server_cpu"] for r in rs]) if "rtmp" in sink else None,
            "stall_wall": median([r["stall_wall"] for r in rs if r["stalled"]]),
        }
    for key, s in summary.items():
        fl = summary[floor_key[s["family"]]]
        s["wall_vs_floor"] = ratio(s["wall"], fl["wall"])
        s["mb_per_s"] = file_mb / s["wall"] if s["wall"] else None
        if s["ours"] and s["family"] == "flvdemux ! flvmux":
            other = summary.get(f"rtmp2-{s['chunk']}")
            s["ratio_cpu_above_floor"] = ratio(s["cpu_above_floor"], other["cpu_above_floor"])
            s["ratio_ms_per_mb"] = ratio(s["ms_per_mb_sent"], other["ms_per_mb_sent"])
            s["ratio_wall"] = ratio(s["wall"], other["wall"])
    return {"file_mb": file_mb, "runs": runs, "summary": summary}


# --------------------------------------------------------------------------
# 2. Play
# --------------------------------------------------------------------------

PLAYERS = [("rtmpsrc", True), ("rtmp2src", False), ("rtmpsrc batch-latency=100", True)]


def _file_part(element: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", element)


def player_floor(ctx: Ctx, element: str) -> C.Measured:
    """Start-up + teardown cost of a player process: the element loads, the
    connection is refused at once (nothing listens on the port)."""
    port = H.free_port()
    return run_gst(ctx, f"{element} location=rtmp://127.0.0.1:{port}/live/none ! "
                        f"fakesink sync=false", f"floor-{element}", timeout=30)


def live_play_run(ctx: Ctx, ng: C.BenchNginx, src: Path, realtime: bool, what: str,
                  sink: str = "fakesink sync=false", timeout: float = 180) -> dict:
    """Both players subscribe to one live stream, then ffmpeg publishes src
    (-c copy; -re if realtime).  Returns per-player Measured."""
    name = ctx.uniq("play")
    url = ng.url("live", name)
    procs = []
    order = list(PLAYERS)
    random.shuffle(order)
    for el, _ in order:
        argv = [H.GST_LAUNCH, *el.split(), f"location={url}", "!",
                *shlex.split(sink.replace("@EL@", _file_part(el)))]
        lp = ctx.log_path(f"{what}-{el}")
        with open(lp, "wb") as logf:
            t0 = time.monotonic()
            procs.append((el, C.spawn(argv, env=ctx.env, stdout=logf,
                                      stderr=subprocess.STDOUT), t0, lp, argv))
    H.wait_until(lambda: len(ng.players("live", name)) >= len(procs), 20,
                 what="both players subscribed")
    pub_argv = [H.FFMPEG, "-nostdin", "-v", "error", *(["-re"] if realtime else []),
                "-i", str(src), "-map", "0", "-c", "copy", "-f", "flv", url]
    t_pub = time.monotonic()
    n0 = ng.cpu_seconds()
    pub = C.spawn(pub_argv, stderr=subprocess.PIPE)
    _, perr = pub.communicate(timeout=timeout)
    C._forget(pub)
    if pub.returncode != 0:
        log(f"    ffmpeg publisher failed: {perr.decode(errors='replace')[-500:]}")
    out = {}
    for el, p, t0, lp, argv in procs:
        m = C.wait_measured(p, t0, timeout, lp, argv)
        m.extra["after_publish_start"] = time.monotonic() - t_pub
        out[el] = m
    out["_server_cpu"] = ng.cpu_seconds() - n0
    return out


def bench_play(ctx: Ctx, ng: C.BenchNginx, hd: Path, clip: Path) -> dict:
    a = ctx.args
    vod_name = "clip.flv"
    shutil.copyfile(clip, ng.vod_dir / vod_name)
    hd_mb, clip_mb = hd.stat().st_size / MB, clip.stat().st_size / MB

    # Validation (once): what each player actually receives, written to tmpfs.
    validation = {}
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else ctx.cache
    outs = {el: shm / f"rtmp-bench-{os.getpid()}-{_file_part(el)}.flv" for el, _ in PLAYERS}
    try:
        res = live_play_run(ctx, ng, hd, False, "validate-live-burst",
                            sink=f"filesink location={shm}/rtmp-bench-{os.getpid()}-@EL@.flv")
        validation["live-burst"] = {el: outs[el].stat().st_size / MB if outs[el].exists()
                                    else None for el, _ in PLAYERS}
        for el, _ in PLAYERS:
            m = run_gst(ctx, f"{el} location={ng.url('vod', vod_name)} ! "
                             f"filesink location={outs[el]}", f"validate-vod-{el}", timeout=120)
            validation.setdefault("vod", {})[el] = (outs[el].stat().st_size / MB
                                                    if outs[el].exists() else None)
    finally:
        for p in outs.values():
            p.unlink(missing_ok=True)
    log(f"  play validation (MB received; file {hd_mb:.2f} / clip {clip_mb:.2f}): {validation}")

    modes = [("live-burst", hd, hd_mb), ("live-realtime", clip, clip_mb), ("vod", clip, clip_mb)]
    runs = {(mode, el): [] for mode, _, _ in modes for el, _ in PLAYERS}
    floors = {el: [] for el, _ in PLAYERS}
    server = {mode: [] for mode, _, _ in modes}
    for rep in range(a.reps):
        for el, _ in PLAYERS:
            floors[el].append(player_floor(ctx, el).cpu)
        order = list(modes)
        random.Random(2000 + rep).shuffle(order)
        for mode, src, mb in order:
            if mode.startswith("live"):
                res = live_play_run(ctx, ng, src, mode == "live-realtime", mode)
                server[mode].append(res.pop("_server_cpu"))
            else:
                res = {}
                pl = list(PLAYERS)
                random.Random(3000 + rep).shuffle(pl)
                for el, _ in pl:
                    res[el] = run_gst(ctx, f"{el} location={ng.url('vod', vod_name)} ! "
                                           f"fakesink sync=false", f"vod-{el}", timeout=180)
            for el, m in res.items():
                ok = m.returncode == 0 and not m.timed_out
                runs[(mode, el)].append({"wall": m.wall, "cpu": m.cpu, "ok": ok, "rep": rep,
                                         "rc": m.returncode})
                log(f"  play rep {rep + 1}/{a.reps} {mode:13s} {el:8s} wall {m.wall:6.2f}s "
                    f"cpu {m.cpu:5.3f}s {'ok' if ok else 'FAILED rc=%s' % m.returncode}")
                if not ok:
                    log("    " + m.log[-600:].replace("\n", "\n    "))
    summary = {}
    floor_med = {el: median(v) for el, v in floors.items()}
    for mode, src, mb in modes:
        for el, ours in PLAYERS:
            rs = [r for r in runs[(mode, el)] if r["ok"]]
            above = [r["cpu"] - floors[el][r["rep"]] for r in rs]
            summary[f"{mode}/{el}"] = {
                "mode": mode, "element": el, "ours": ours, "mb": mb, "n": len(runs[(mode, el)]),
                "completed": len(rs), "wall": median([r["wall"] for r in rs]),
                "cpu": median([r["cpu"] for r in rs]), "floor": floor_med[el],
                "cpu_above_floor": median(above), "range": C.spread(above),
                "ms_per_mb": median([1000 * x / mb for x in above]),
                "ms_per_mb_range": C.spread([1000 * x / mb for x in above]),
                "server_cpu": median(server[mode]) if server[mode] else None,
            }
        t = summary[f"{mode}/rtmp2src"]
        for el in [el for el, ours in PLAYERS if ours]:
            o = summary[f"{mode}/{el}"]
            o["ratio_ms_per_mb"] = ratio(o["ms_per_mb"], t["ms_per_mb"])
            o["ratio_wall"] = ratio(o["wall"], t["wall"]) if mode == "vod" else None
            if mode != "vod":
                o["wall"] = None
        if mode != "vod":
            # a live player's wall time is set by the publisher, not by the player
            t["wall"] = None
    return {"validation": validation, "floors": floors, "summary": summary,
            "runs": {f"{k[0]}/{k[1]}": v for k, v in runs.items()}}


# --------------------------------------------------------------------------
# 3. Round trips
# --------------------------------------------------------------------------

RTT_ELEMENTS = [("rtmpsink", True), ("rtmp2sink", False), ("rtmpsrc", True), ("rtmp2src", False)]


def rtt_once(ctx: Ctx, element: str, port: int, tiny_name: str, tiny: Path) -> dict | None:
    if element.endswith("sink"):
        url = f"rtmp://127.0.0.1:{port}/live/{ctx.uniq('rtt')}"
    else:
        url = f"rtmp://127.0.0.1:{port}/vod/{tiny_name}"
    lp = ctx.log_path(f"rtt-{element}")
    m = C.run_measured([C.PYTHON, Path(__file__).with_name("rtt_probe.py"), element, url, tiny],
                       env=ctx.env, timeout=40, log_path=lp)
    for line in m.log.splitlines():
        if line.startswith("RESULT "):
            d = json.loads(line[7:])
            ev = d["events"]
            need = ["tcp_connected", "stream_started"] + (["first_buffer"]
                                                          if element.endswith("src") else [])
            if d["errors"] or any(k not in ev for k in need):
                log(f"    rtt {element}: incomplete {d}")
                return None
            return ev
    log(f"    rtt {element}: no result\n{m.log[-800:]}")
    return None


def bench_rtt(ctx: Ctx, ng: C.BenchNginx, tiny: Path) -> dict:
    a = ctx.args
    tiny_name = "tiny.flv"
    shutil.copyfile(tiny, ng.vod_dir / tiny_name)
    runs = {(el, via): [] for el, _ in RTT_ELEMENTS for via in ("proxy", "direct")}
    with C.DelayProxy(ng.port, a.delay_ms, ctx.log_path("delayproxy")) as px:
        for rep in range(a.reps):
            order = [(el, via) for el, _ in RTT_ELEMENTS for via in ("proxy", "direct")]
            random.Random(4000 + rep).shuffle(order)
            for el, via in order:
                ev = rtt_once(ctx, el, px.port if via == "proxy" else ng.port, tiny_name, tiny)
                if ev:
                    runs[(el, via)].append(ev)
                    log(f"  rtt rep {rep + 1}/{a.reps} {el:9s} {via:6s} " + " ".join(
                        f"{k}={v * 1000:.0f}ms" for k, v in ev.items()))
    two_d = 2 * a.delay_ms / 1000.0
    summary = {}
    for el, ours in RTT_ELEMENTS:
        p, d = runs[(el, "proxy")], runs[(el, "direct")]

        def med(rs, fn):
            return median([fn(e) for e in rs])
        s = {
            "element": el, "ours": ours, "n": len(p),
            "connect_start_ms": med(p, lambda e: 1000 * e["connect_start"])
            if p and all("connect_start" in e for e in p) else None,
            "tcp_ms": med(p, lambda e: 1000 * (e["tcp_connected"] - e.get("connect_start", 0))),
            "started_ms": med(p, lambda e: 1000 * e["stream_started"]),
            "setup_ms": med(p, lambda e: 1000 * (e["stream_started"] - e["tcp_connected"])),
            "direct_setup_ms": med(d, lambda e: 1000 * (e["stream_started"]
                                                        - e["tcp_connected"])),
            "direct_started_ms": med(d, lambda e: 1000 * e["stream_started"]),
        }
        s["rtts"] = s["setup_ms"] / (1000 * two_d) if s["setup_ms"] is not None else None
        if el.endswith("src"):
            s["first_buffer_ms"] = med(p, lambda e: 1000 * e["first_buffer"])
            s["first_buffer_after_tcp_ms"] = med(p, lambda e: 1000 * (e["first_buffer"]
                                                                      - e["tcp_connected"]))
            s["first_buffer_rtts"] = (s["first_buffer_after_tcp_ms"] / (1000 * two_d)
                                      if s["first_buffer_after_tcp_ms"] is not None else None)
            s["direct_first_buffer_ms"] = med(d, lambda e: 1000 * e["first_buffer"])
        summary[el] = s
    return {"delay_ms": a.delay_ms, "summary": summary,
            "runs": {f"{k[0]}/{k[1]}": v for k, v in runs.items()}}


# --------------------------------------------------------------------------
# 4. Scale
# --------------------------------------------------------------------------

def scale_once(ctx: Ctx, ng: C.BenchNginx, sink: str, n: int, tiny: Path) -> dict:
    a = ctx.args
    try:
        H.wait_until(lambda: ng.publisher_count() == 0, 30, what="no publishers left")
    except TimeoutError:
        log("    (publishers of the previous run still listed by nginx)")
    argv = [C.PYTHON, Path(__file__).with_name("scale_probe.py"), "--n", n, "--sink", sink,
            "--url-base", ng.url("live", ctx.uniq("scale")), "--fixture", tiny,
            "--window", a.scale_window, "--settle", a.scale_settle]
    lp = ctx.log_path(f"scale-{sink}-{n}")
    marks = {}
    t0 = time.monotonic()
    with open(lp, "wb") as logf:
        p = C.spawn(argv, env=ctx.env, stdout=subprocess.PIPE, stderr=logf)
    result = None
    publishers_in_window = None

    def reader():
        nonlocal result, publishers_in_window
        for raw in p.stdout:
            line = raw.decode(errors="replace").strip()
            if line == "WINDOW_START":
                marks["start"] = ng.cpu_seconds()
                if sink != "fakesink":
                    try:
                        publishers_in_window = ng.publisher_count()
                    except Exception:
                        pass
            elif line == "WINDOW_END":
                marks["end"] = ng.cpu_seconds()
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    m = C.wait_measured(p, t0, 300, None, argv)
    th.join(5)
    if result is None:
        result = {"error": f"no result (rc {m.returncode}); see {lp}"}
    result["process_cpu_total"] = m.cpu
    result["process_wall_total"] = m.wall
    if "start" in marks and "end" in marks:
        result["server_cpu"] = marks["end"] - marks["start"]
    result["server_publishers_in_window"] = publishers_in_window
    return result


def bench_scale(ctx: Ctx, ng: C.BenchNginx, tiny: Path) -> dict:
    a = ctx.args
    n = a.instances
    sizes = sorted({n, max(1, n // 2), max(1, n // 4)}, reverse=True)
    plan = [("fakesink", s) for s in sizes] + [("rtmpsink", s) for s in sizes]
    if not a.no_scale_rtmp2:
        plan.append(("rtmp2sink", n))
    runs = {k: [] for k in plan}
    for rep in range(a.scale_reps):
        order = list(plan)
        random.Random(5000 + rep).shuffle(order)
        for sink, size in order:
            r = scale_once(ctx, ng, sink, size, tiny)
            r["rep"] = rep
            runs[(sink, size)].append(r)
            if "cpu_s" in r:
                log(f"  scale rep {rep + 1}/{a.scale_reps} {sink:9s} N={size:4d} "
                    f"publishing after {f(r.get('all_publishing_s'))}s threads {r['threads']} "
                    f"rss {r['rss_kb'] / 1024:.0f} MB cpu {r['cpu_rusage_s']:.2f}s/{r['window_s']:.1f}s "
                    f"server cpu {f(r.get('server_cpu'))}s errors {r.get('errors')}")
            else:
                log(f"  scale rep {rep + 1}/{a.scale_reps} {sink:9s} N={size:4d} FAILED: "
                    f"publishing {r.get('publishing')}/{size} {r.get('first_error') or r.get('error')}")
    summary = {}
    for sink, size in plan:
        rs = [r for r in runs[(sink, size)] if "cpu_s" in r]
        fl = {r["rep"]: r for r in runs[("fakesink", size)] if "cpu_s" in r}
        per_stream_cpu = [1000 * ((r["cpu_rusage_s"] / r["window_s"]) -
                                  (fl[r["rep"]]["cpu_rusage_s"] / fl[r["rep"]]["window_s"])) / size
                          for r in rs if r["rep"] in fl]
        s = {
            "sink": sink, "n": size, "runs": len(runs[(sink, size)]), "completed": len(rs),
            "all_publishing_s": median([r.get("all_publishing_s") for r in rs]),
            "threads": median([r["threads"] for r in rs]),
            "rss_mb": median([r["rss_kb"] / 1024 for r in rs]),
            "cpu_pct": median([100 * r["cpu_rusage_s"] / r["window_s"] for r in rs]),
            "server_cpu_pct": median([100 * r["server_cpu"] / r["window_s"] for r in rs
                                      if r.get("server_cpu") is not None]),
            "teardown_s": median([r["teardown_s"] for r in rs]),
            "max_lag_ms": median([r.get("max_lag_window_ms") for r in rs]),
            "stream_kbps": median([r["stream_kbps"] for r in rs]),
            "server_publishers": median([r.get("server_publishers_in_window") for r in rs]),
            "errors": sum(r.get("errors", 0) for r in rs),
            "failures": [r.get("first_error") or r.get("error") for r in runs[(sink, size)]
                         if "cpu_s" not in r],
        }
        if sink != "fakesink":
            s["cpu_ms_per_stream_s"] = median(per_stream_cpu)
            s["cpu_ms_per_stream_s_range"] = C.spread(per_stream_cpu)
            s["threads_per_stream"] = median([(r["threads"] - fl[r["rep"]]["threads"]) / size
                                              for r in rs if r["rep"] in fl])
            s["rss_kb_per_stream"] = median([(r["rss_kb"] - fl[r["rep"]]["rss_kb"]) / size
                                             for r in rs if r["rep"] in fl])
            s["server_cpu_ms_per_stream_s"] = median(
                [1000 * r["server_cpu"] / r["window_s"] / size for r in rs
                 if r.get("server_cpu") is not None])
        summary[f"{sink}/{size}"] = s
    o, t = summary.get(f"rtmpsink/{n}"), summary.get(f"rtmp2sink/{n}")
    if o and t:
        o["ratio_cpu"] = ratio(o.get("cpu_ms_per_stream_s"), t.get("cpu_ms_per_stream_s"))
        o["ratio_rss"] = ratio(o.get("rss_kb_per_stream"), t.get("rss_kb_per_stream"))
    return {"sizes": sizes, "summary": summary,
            "runs": {f"{k[0]}/{k[1]}": v for k, v in runs.items()}}


# --------------------------------------------------------------------------
# Machine / versions
# --------------------------------------------------------------------------

def sh(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout + r.stderr).strip()
    except Exception as e:  # noqa: BLE001
        return f"({e})"


def machine_info(ctx: Ctx) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    plugin = ctx.build / "gst" / "libgstrtmp.so"
    import hashlib
    digest = hashlib.sha256(ctx.plugin.read_bytes()).hexdigest()[:12] \
        if ctx.plugin.exists() else None
    repo = C.REPO
    head = sh(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "-C", str(repo), "status", "--porcelain", "--", "src", "gst"])
    meson = {}
    try:
        opts = json.loads(sh(["meson", "introspect", str(ctx.build), "--buildoptions"]))
        meson = {o["name"]: o["value"] for o in opts if o["name"] in ("buildtype", "b_ndebug",
                                                                        "optimization")}
    except Exception:  # noqa: BLE001
        pass
    gst_ver = sh([H.GST_LAUNCH, "--version"]).splitlines()
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
        "gstreamer": (gst_ver[1] if len(gst_ver) > 1 else gst_ver[0]).replace("GStreamer ", ""),
        "nginx": sh([H.NGINX, "-v"]).replace("nginx version: ", ""),
        "nginx_rtmp": sh(["dpkg-query", "-W", "-f", "${Version}", "libnginx-mod-rtmp"]),
        "plugins_bad": sh(["dpkg-query", "-W", "-f", "${Version}", "gstreamer1.0-plugins-bad"]),
        "ffmpeg": sh([H.FFMPEG, "-version"]).splitlines()[0].split(" Copyright")[0],
        "python": platform.python_version(),
        "git_head": head, "src_dirty": bool(dirty.strip()),
        "plugin": str(plugin), "plugin_mtime": dt.datetime.fromtimestamp(
            plugin.stat().st_mtime).isoformat(timespec="seconds") if plugin.exists() else None,
        "meson": meson, "plugin_sha256": digest,
    }


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def report(ctx: Ctx, info: dict, res: dict, argv: list[str], elapsed: float) -> tuple[str, str]:
    """(plain-text tables, markdown block)."""
    a = ctx.args
    text, md = [], []

    def section(title: str, header: list[str], rows: list[list], notes: list[str] = ()):
        text.append(f"\n== {title} ==\n" + text_table(header, rows))
        for n_ in notes:
            text.append("  " + n_)
        md.append(f"\n### {title}\n\n" + md_table(header, rows) + "\n")
        for n_ in notes:
            md.append(f"- {n_}")

    if "publish" in res:
        p = res["publish"]
        rows = []
        for key, s in p["summary"].items():
            done = f"{s['completed']}/{s['n']}" + (f" ({s['stalled']} stalled)"
                                                    if s["stalled"] else "")
            rows.append([
                s["family"], s["sink"], s["chunk"] or "", done,
                f(s["wall"]), f(s["mb_per_s"]), f(s["wall_vs_floor"]), f(s["cpu"]),
                fr(s["cpu_above_floor"], s["cpu_above_floor_range"]),
                fr(s["ms_per_mb_sent"], s["ms_per_mb_sent_range"]), f(s["server_mb"]),
                f(s["server_cpu"]),
                f(s.get("ratio_cpu_above_floor")) if s.get("ours") else "",
                f(s.get("ratio_ms_per_mb")) if s.get("ours") else "",
            ])
        section(f"Publish: {p['file_mb']:.1f} MB FLV (60 s 720p30 H.264 + AAC), as fast as "
                f"possible into nginx `live`; medians of {a.publish_reps} (min..max)",
                ["pipeline", "sink", "chunk", "completed", "wall s", "MB/s", "wall/floor",
                 "CPU s", "CPU above floor s", "CPU ms per MB sent", "server got MB",
                 "nginx CPU s", "ours/rtmp2 CPU above floor", "ours/rtmp2 CPU per MB"],
                rows,
                ["wall, MB/s, CPU, CPU above floor: completed runs only; 'CPU ms per MB sent' = "
                 "(CPU - floor CPU of the same repetition) / MB that nginx received, all runs; "
                 "for a stalled run the floor is scaled by the fraction of the file sent.",
                 f"stalled = the process used no CPU for {a.stall_seconds} s before finishing "
                 f"(then killed; see 'Stalls' in the method notes)."])
    if "play" in res:
        p = res["play"]
        rows = []
        for key, s in p["summary"].items():
            rows.append([s["mode"], s["element"], f"{s['completed']}/{s['n']}", f(s["mb"]),
                         f(s["wall"]), f(s["cpu"]), f(s["floor"]), f(s["cpu_above_floor"]),
                         fr(s["ms_per_mb"], s["ms_per_mb_range"]),
                         f(s.get("ratio_ms_per_mb")) if s["ours"] else "",
                         f(s.get("ratio_wall")) if s["ours"] else ""])
        section(f"Play: ELEMENT ! fakesink sync=false; medians of {a.reps} (min..max)",
                ["mode", "element", "completed", "MB", "wall s", "CPU s", "start-up floor s",
                 "CPU above floor s", "CPU ms per MB", "ours/rtmp2 CPU per MB",
                 "ours/rtmp2 wall"], rows,
                [f"MB received, validated once with filesink: {json.dumps(p['validation'])}"])
    if "rtt" in res:
        r = res["rtt"]
        rows = []
        for el, s in r["summary"].items():
            rows.append([el, s["n"], f(s["connect_start_ms"]), f(s["tcp_ms"]),
                         f(s["setup_ms"]), f(s["rtts"]), f(s.get("first_buffer_after_tcp_ms")),
                         f(s.get("first_buffer_rtts")), f(s["started_ms"]),
                         f(s["direct_setup_ms"])])
        section(f"Round trips: through delayproxy.py, {r['delay_ms']} ms each way "
                f"(RTT {2 * r['delay_ms']} ms); medians of {a.reps}",
                ["element", "runs", "connect() starts ms", "TCP connect ms",
                 "TCP connected -> *.Start ms", "RTTs", "TCP connected -> first buffer ms",
                 "RTTs to first buffer", "PLAYING -> *.Start ms",
                 "same, direct loopback ms"], rows,
                ["RTTs = (NetStream.Publish.Start or Play.Start - TCP connected) / RTT. The "
                 "proxy accepts locally, so TCP connect costs no proxy delay."])
    if "scale" in res:
        s_ = res["scale"]
        rows = []
        for key, s in s_["summary"].items():
            rows.append([s["sink"], s["n"], f"{s['completed']}/{s['runs']}",
                         f(s["all_publishing_s"]), f(s["threads"]),
                         f(s.get("threads_per_stream")), f(s["rss_mb"]),
                         f(s.get("rss_kb_per_stream")), f(s["cpu_pct"]),
                         fr(s.get("cpu_ms_per_stream_s"), s.get("cpu_ms_per_stream_s_range")),
                         f(s["server_cpu_pct"]),
                         f(s.get("server_cpu_ms_per_stream_s")), f(s["teardown_s"]),
                         f(s["max_lag_ms"])])
        o = s_["summary"].get(f"rtmpsink/{a.instances}", {})
        section(f"Scale: N sinks in one process, each ~{f(o.get('stream_kbps'))} kbit/s; "
                f"medians of {a.scale_reps} (min..max)",
                ["sink", "N", "completed", "all publishing after s", "threads",
                 "threads/stream", "RSS MB", "RSS KB/stream", "process CPU %",
                 "CPU ms/s per stream", "nginx CPU %", "nginx CPU ms/s per stream",
                 "teardown s", "max push lag in window ms"], rows,
                ["per-stream columns: above the fakesink run of the same N and repetition; "
                 "CPU % = percent of one core during the measuring window.",
                 f"ours/rtmp2 at N={a.instances}: CPU per stream {f(o.get('ratio_cpu'))}, "
                 f"RSS per stream {f(o.get('ratio_rss'))}"])
    head = (f"Run {info['date']}, {info['nproc']} x {info['cpu']}, load average (1/5/15 min) "
            f"at start {' '.join(info['loadavg_start'])}, at end "
            f"{' '.join(info.get('loadavg_end', ['?']))}; GStreamer {info['gstreamer']}, "
            f"plugins-bad {info['plugins_bad']}, {info['nginx']} + libnginx-mod-rtmp "
            f"{info['nginx_rtmp']}, {info['ffmpeg']}, kernel {info['kernel']}; plugin "
            f"{info['plugin']} (built {info['plugin_mtime']}, sha256 {info['plugin_sha256']}, "
            f"{', '.join(f'{k} {v}' for k, v in info['meson'].items())}; git HEAD {info['git_head']} when the run started"
            f"{', with uncommitted changes in src/ or gst/' if info['src_dirty'] else ''}). "
            f"Command: `{shlex.join(argv)}` ({elapsed / 60:.1f} min).")
    return head + "\n" + "\n".join(text), head + "\n" + "\n".join(md)


def update_doc(block: str) -> None:
    doc = C.REPO / "docs" / "performance.md"
    begin, end = "<!-- BEGIN RESULTS (written by benchmarks/run.py --update-doc) -->", \
        "<!-- END RESULTS -->"
    text = doc.read_text() if doc.exists() else f"# Performance\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    pre, rest = text.split(begin, 1)
    _, post = rest.split(end, 1)
    doc.write_text(pre + begin + "\n" + block.strip() + "\n" + end + post)


# --------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="repetitions of every measurement")
    ap.add_argument("--instances", type=int, default=500, help="N for the scale test")
    ap.add_argument("--scale-reps", type=int, default=None,
                    help="repetitions of the scale test (default: --reps)")
    ap.add_argument("--scale-window", type=float, default=5.0, help="seconds measured")
    ap.add_argument("--scale-settle", type=float, default=1.0,
                    help="seconds after all publish before measuring")
    ap.add_argument("--no-scale-rtmp2", action="store_true", help="skip rtmp2sink at N")
    ap.add_argument("--sections", default="publish,play,rtt,scale")
    ap.add_argument("--delay-ms", type=int, default=100)
    ap.add_argument("--publish-reps", type=int, default=None,
                    help="repetitions of the publish runs (default: 3 x --reps; each run "
                         "takes well under a second of CPU, so it gets more of them)")
    ap.add_argument("--stall-seconds", type=float, default=2.0,
                    help="a publisher that used no CPU for this long is stalled (killed)")
    ap.add_argument("--publish-timeout", type=float, default=120.0)
    ap.add_argument("--play-clip-seconds", type=int, default=15)
    ap.add_argument("--build-dir", default=str(C.REPO / "build"))
    ap.add_argument("--cache", default=str(C.REPO / "build" / "bench-cache"))
    ap.add_argument("--update-doc", action="store_true",
                    help="replace the results block of docs/performance.md")
    ap.add_argument("--render-json", metavar="RESULTS_JSON",
                    help="measure nothing: print (and with --update-doc write) the tables of a "
                         "results-*.json written by an earlier run")
    a = ap.parse_args()
    if a.render_json:
        saved = json.loads(Path(a.render_json).read_text())
        ctx = argparse.Namespace(args=argparse.Namespace(**saved["args"]))
        text, md = report(ctx, saved["info"], saved["results"], saved.get("argv") or
                          ["benchmarks/run.py"], saved.get("elapsed", 0.0))
        if saved["info"].get("warning"):
            text += f"\nNote: {saved['info']['warning']}"
            md += f"\n\nNote: {saved['info']['warning']}."
        print(text)
        if a.update_doc:
            update_doc(md)
            log("updated docs/performance.md")
        return 0
    if a.scale_reps is None:
        a.scale_reps = a.reps
    if a.publish_reps is None:
        a.publish_reps = 3 * a.reps
    sections = [s.strip() for s in a.sections.split(",") if s.strip()]
    ctx = Ctx(a)
    t_start = time.monotonic()
    soft, hard = C.raise_nofile(65536)
    log(f"RLIMIT_NOFILE {soft}/{hard}; cache {ctx.cache}; logs {ctx.logs}")
    if not (ctx.build / "gst" / "libgstrtmp.so").exists():
        log(f"no plugin in {ctx.build}/gst: build first (meson setup build && ninja -C build)")
        return 2
    missing = H.missing_tools()
    if missing:
        log(f"missing tools: {missing}")
        return 2
    # One registry scan up front, so that no measured run pays for it.
    r = subprocess.run([H.GST_INSPECT, "rtmpsink"], env=ctx.env, capture_output=True, text=True)
    if str(ctx.plugin) not in r.stdout:
        log(f"rtmpsink is not ours:\n{r.stdout[:400]}")
        return 2
    subprocess.run([H.GST_INSPECT, "rtmp2sink"], env=ctx.env, capture_output=True)
    info = machine_info(ctx)
    log("building / reusing media fixtures ...")
    hd = C.hd_fixture(ctx.cache)
    clip = C.cut_fixture(ctx.cache, hd, a.play_clip_seconds)
    tiny = C.tiny_fixture(ctx.cache)
    res: dict = {}
    ng = C.BenchNginx(out_queue=8192)
    with ng:
        if "publish" in sections:
            log("[1/4] publish throughput")
            res["publish"] = bench_publish(ctx, ng, hd)
        if "play" in sections:
            log("[2/4] play")
            res["play"] = bench_play(ctx, ng, hd, clip)
        if "rtt" in sections:
            log("[3/4] round trips")
            res["rtt"] = bench_rtt(ctx, ng, tiny)
        if "scale" in sections:
            log("[4/4] scale")
            res["scale"] = bench_scale(ctx, ng, tiny)
        problems = ng.log_problems()
    elapsed = time.monotonic() - t_start
    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    plugin = ctx.build / "gst" / "libgstrtmp.so"
    if plugin.exists() and info["plugin_mtime"] != dt.datetime.fromtimestamp(
            plugin.stat().st_mtime).isoformat(timespec="seconds"):
        info["warning"] = ("build/gst/libgstrtmp.so was rebuilt during the run; the copy "
                           "taken at the start was measured throughout")
    text, md = report(ctx, info, res, ["benchmarks/run.py", *sys.argv[1:]], elapsed)
    if problems:
        text += "\nnginx reported problems:\n" + "\n".join(problems[:20])
    if info.get("warning"):
        text += f"\nNote: {info['warning']}"
        md += f"\n\nNote: {info['warning']}."
    print(text)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_md = ctx.cache / f"results-{stamp}.md"
    out_md.write_text(md + "\n")
    (ctx.cache / f"results-{stamp}.json").write_text(
        json.dumps({"info": info, "args": vars(a), "results": res, "elapsed": elapsed,
                    "argv": ["benchmarks/run.py", *sys.argv[1:]]}, indent=1, default=str))
    log(f"\nwritten: {out_md} (+ .json)")
    if a.update_doc:
        update_doc(md)
        log("updated docs/performance.md")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        C.kill_children()
        sys.exit(130)
