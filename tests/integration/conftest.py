"""pytest wiring for the integration tests (see harness.py for the helpers)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as H  # noqa: E402


def pytest_report_header(config):
    return [f"rtmp integration: sink under test = {H.SINK!r}, "
            f"GST_PLUGIN_PATH={os.environ.get('GST_PLUGIN_PATH', '')!r}, "
            f"cache = {H.cache_dir()}"]


@pytest.fixture(scope="session")
def tools():
    missing = H.missing_tools()
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")


@pytest.fixture(scope="session")
def sink(tools) -> str:
    """The element under test; also warms up the GStreamer registry once, so
    the first gst-launch of the run does not spend its time scanning plugins
    (which would delay publishing while a subscriber is already waiting)."""
    if not H.gst_element_exists(H.SINK):
        pytest.fail(f"element {H.SINK!r} not found (GST_PLUGIN_PATH="
                    f"{os.environ.get('GST_PLUGIN_PATH', '')!r}); is the plugin built?")
    return H.SINK


@pytest.fixture(scope="session")
def fixture_bf2(tools) -> Path:
    """H.264 (2 B-frames, so CTS != 0) + AAC FLV, 4 s."""
    return H.make_fixture(seconds=4, bframes=2)


@pytest.fixture(scope="session")
def fixture_bf0(tools) -> Path:
    """H.264 without B-frames + AAC FLV, 4 s."""
    return H.make_fixture(seconds=4, bframes=0)


@pytest.fixture
def stream_name(request) -> str:
    """A stream name unique to the test (used as the recorded file name)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)[:60]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so fixtures can tell whether the
    # test failed (used to dump the nginx error log).
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def nginx(request, tmp_path, tools):
    """A fresh nginx-rtmp for one test; its work dir is under tmp_path, so the
    recordings and error log survive the test for inspection.  The error log
    is printed when the test failed."""
    with H.NginxRtmp(workdir=tmp_path / "nginx") as ng:
        yield ng
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            ng.dump_log()
