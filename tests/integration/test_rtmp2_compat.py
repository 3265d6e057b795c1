"""Drop-in for rtmp2: every property of the installed rtmp2sink and rtmp2src exists on rtmpsink
and rtmpsrc with the same type, default, value range, enum/flags values and mutability, except
for the defaults listed in BETTER_DEFAULTS (documented in docs/elements.md, "rtmp2 launch
lines"). Extra properties of ours are allowed. The list is read from the installed rtmp2
elements, so a newer GStreamer with more rtmp2 properties makes this test fail until we have
them too."""

from __future__ import annotations

import gi
import pytest

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

Gst.init(None)

PAIRS = [("rtmp2sink", "rtmpsink"), ("rtmp2src", "rtmpsrc")]

# property -> (rtmp2's default, ours): ours is better for these, and docs/elements.md says why.
BETTER_DEFAULTS = {
    "timeout": (5, 10),  # ours is per phase (resolve, connect, TLS, each reply)
    "chunk-size": (128, 4096),  # far fewer chunk headers; every server takes Set Chunk Size
    "flash-version": ("LNX 10,0,32,18", "FMLE/3.0 (compatible; GstRtmpNative)"),  # sink only
}
# Secrets are write-only on ours (nothing can read them back: gst-launch -v, dot files).
SECRETS = {"password", "secure-token"}
# GObject/GstObject/GstBaseSink/GstBaseSrc properties are the same class's: nothing to compare.
INHERITED = {"name", "parent"}
MUTABLE = (Gst.PARAM_MUTABLE_READY | Gst.PARAM_MUTABLE_PAUSED | Gst.PARAM_MUTABLE_PLAYING)


def specs(factory: str) -> dict[str, GObject.ParamSpec]:
    element = Gst.ElementFactory.make(factory, None)
    assert element is not None, f"no {factory}"
    return {p.name: p for p in element.list_properties()}


def enum_values(spec) -> dict[int, str]:
    """number -> nick of an enum or flags property's type."""
    if hasattr(spec, "enum_class"):
        return {int(v): v.value_nick for v in spec.enum_class.__enum_values__.values()}
    return {int(v): v.first_value_nick for v in spec.flags_class.__flags_values__.values()}


def value_of(default):
    return int(default) if isinstance(default, (GObject.GEnum, GObject.GFlags)) else default


def check_property(theirs, ours, name: str, factory: str) -> list[str]:
    problems = []
    if ours.value_type.fundamental != theirs.value_type.fundamental:
        problems.append(f"{name}: type {ours.value_type.name}, rtmp2 has {theirs.value_type.name}")
        return problems
    d_theirs, d_ours = value_of(theirs.default_value), value_of(ours.default_value)
    if d_theirs != d_ours:
        better = BETTER_DEFAULTS.get(name)
        if not better or (value_of(better[0]), value_of(better[1])) != (d_theirs, d_ours):
            problems.append(f"{name}: default {d_ours!r}, rtmp2 has {d_theirs!r}")
    for attr in ("minimum", "maximum"):
        if hasattr(theirs, attr) and getattr(theirs, attr) != getattr(ours, attr):
            problems.append(f"{name}: {attr} {getattr(ours, attr)}, rtmp2 has "
                            f"{getattr(theirs, attr)}")
    if theirs.value_type.fundamental in (GObject.TYPE_ENUM, GObject.TYPE_FLAGS):
        want, got = enum_values(theirs), enum_values(ours)
        for number, nick in want.items():
            if got.get(number) != nick:
                problems.append(f"{name}: value {number} is {got.get(number)!r}, rtmp2 has {nick!r}")
    for flag, what in ((GObject.ParamFlags.READABLE, "readable"),
                       (GObject.ParamFlags.WRITABLE, "writable")):
        if (theirs.flags & flag) and not (ours.flags & flag) and name not in SECRETS:
            problems.append(f"{name}: not {what}, rtmp2's is")
    if (int(theirs.flags) & MUTABLE) > (int(ours.flags) & MUTABLE):
        problems.append(f"{name}: changeable in fewer states than rtmp2's")
    return problems


@pytest.mark.parametrize("theirs,ours", PAIRS)
def test_every_rtmp2_property_is_ours_too(theirs, ours):
    a, b = specs(theirs), specs(ours)
    assert len(a) > 15, f"{theirs} lists only {len(a)} properties"
    problems = [f"{p}: missing" for p in sorted(a) if p not in b and p not in INHERITED]
    for p in sorted(set(a) & set(b) - INHERITED):
        problems += check_property(a[p], b[p], p, ours)
    assert not problems, f"{ours} vs {theirs}:\n" + "\n".join(problems)


def test_password_is_write_only_on_ours():
    """rtmp2 lets anyone read the password back; ours never does (gst-launch -v, dot files)."""
    for factory in ("rtmpsink", "rtmpsrc"):
        for p in ("password", "secure-token"):
            spec = specs(factory)[p]
            assert not spec.flags & GObject.ParamFlags.READABLE, (factory, p)
            assert spec.flags & GObject.ParamFlags.WRITABLE, (factory, p)


def test_rtmp2_launch_line_properties_set_and_read_back():
    sink = Gst.parse_launch("rtmpsink peak-kbps=3000 scheme=rtmps stop-commands=fcunpublish "
                            "authmod=adobe async-connect=false")
    assert sink.get_property("peak-kbps") == 3000
    assert int(sink.get_property("scheme")) == 1
    assert int(sink.get_property("stop-commands")) == 1
    assert int(sink.get_property("authmod")) == 2
    assert sink.get_property("async-connect") is False
    assert sink.get_property("port") == 443  # the scheme's default port
    src = Gst.parse_launch("rtmpsrc async-connect=false typefind=true authmod=none idle-timeout=3")
    assert src.get_property("async-connect") is False
    assert int(src.get_property("authmod")) == 0
    assert src.get_property("idle-timeout") == 3
