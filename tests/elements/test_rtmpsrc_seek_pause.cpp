// Element tests for rtmpsrc, live versus recorded streams: the LATENCY/SEEKING/DURATION queries,
// seeking (with stale media in flight, after EOS, reverse) and pausing, against the fake server
// (see src_test_support.hpp).

#include <atomic>

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "src_test_support.hpp"

// 5a. A live stream (no StreamIsRecorded): live latency, not seekable, no duration, seeks fail.
namespace {

bool query_latency_live(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_latency();
  fail_unless(gst_pad_query(pad, q), "the LATENCY query was not answered");
  gboolean live = FALSE;
  gst_query_parse_latency(q, &live, nullptr, nullptr);
  gst_query_unref(q);
  gst_object_unref(pad);
  return live;
}

bool query_seekable(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_seeking(GST_FORMAT_TIME);
  fail_unless(gst_pad_query(pad, q), "the SEEKING query was not answered");
  GstFormat fmt;
  gboolean seekable = FALSE;
  gst_query_parse_seeking(q, &fmt, &seekable, nullptr, nullptr);
  fail_unless_equals_int(fmt, GST_FORMAT_TIME);
  gst_query_unref(q);
  gst_object_unref(pad);
  return seekable;
}

// The duration in TIME, or -1 when the query is not answered or has none.
gint64 query_duration(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_duration(GST_FORMAT_TIME);
  gint64 d = -1;
  if (gst_pad_query(pad, q)) gst_query_parse_duration(q, nullptr, &d);
  gst_query_unref(q);
  gst_object_unref(pad);
  return d;
}

}  // namespace

GST_START_TEST(test_live_queries) {
  ServerLog log;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    c.send_media(kData, 0, on_metadata(meta_both(4.5)));
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(200, i, i == 0));
    while (auto m = c.read_message(-1)) log.add(*m);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  std::vector<OutBuf> b = p.pull_n(5);
  check_header(b[0], kFlagAudio | kFlagVideo);
  fail_unless(query_latency_live(p.src()), "a live stream answers the LATENCY query non-live");
  fail_if(query_seekable(p.src()), "a live stream says it is seekable");
  gint64 d = query_duration(p.src());
  fail_unless(d == -1, "a live stream answers a duration: %" GST_TIME_FORMAT,
              GST_TIME_ARGS(GstClockTime(d)));
  fail_if(
      gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND),
      "a seek on a live stream succeeded");
  g_usleep(300 * 1000);
  fail_unless(log.commands("seek").empty(), "a seek command was sent for a live stream");
  p.poll_bus(0);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  p.stop_promptly();
}
GST_END_TEST;

// 5b. A recorded stream (StreamIsRecorded before Play.Start): not live, seekable, the duration
// from onMetaData; a flushing seek is sent as RTMP seek, and media the server sends before it
// confirms the seek (Seek.Notify) is not output.
GST_START_TEST(test_recorded_seek) {
  ServerLog log;
  std::vector<rtmp::Message> before = {msg(kData, 0, on_metadata(meta_both(4.5)))};
  for (uint32_t i = 0; i < 5; i++) before.push_back(msg(kVideo, i * 40, video(200, i, i == 0)));
  std::vector<rtmp::Message> after;
  for (uint32_t i = 0; i < 3; i++)
    after.push_back(msg(kVideo, 2000 + i * 40, video(150, 100 + i, i == 0)));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : before) c.send_media(m.type, m.timestamp, m.payload);
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "seek") continue;
      // Media from the old position, still on its way when the server took the seek.
      c.send_media(kVideo, 200, video(210, 50));
      c.send_media(kAudio, 220, audio(60, 51));
      // Then as nginx-rtmp answers a seek: StreamEOF, Seek.Notify, StreamBegin, new media.
      c.send_user_control(static_cast<uint16_t>(rtmp::control::UserControlEvent::kStreamEof), 1);
      c.send_status(1, "status", "NetStream.Seek.Notify", "Seeking 2000 (stream ID: 1).");
      c.send_user_control(static_cast<uint16_t>(rtmp::control::UserControlEvent::kStreamBegin), 1);
      for (const auto& a : after) c.send_media(a.type, a.timestamp, a.payload);
      c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  std::vector<OutBuf> b = p.pull_n(1 + before.size());
  check_header(b[0], kFlagAudio | kFlagVideo);
  for (size_t i = 0; i < before.size(); i++) {
    check_tag(b[i + 1], before[i], i + 1);
    check_pts(b[i + 1], before[i].timestamp * GST_MSECOND, i + 1);  // absolute when recorded
  }

  fail_if(query_latency_live(p.src()), "a recorded stream answers the LATENCY query live");
  fail_unless(query_seekable(p.src()), "a recorded stream says it is not seekable");
  gint64 d = query_duration(p.src());
  fail_unless(d == gint64(4500 * GST_MSECOND), "duration %" GST_TIME_FORMAT ", expected 4.5 s",
              GST_TIME_ARGS(GstClockTime(d)));

  fail_unless(
      gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND),
      "the seek failed");
  fail_unless(log.wait_commands("seek", 1, kWaitMs), "the server received no seek command");
  auto seeks = log.commands("seek");
  fail_unless_equals_int(seeks.size(), 1);
  fail_unless_equals_int(seeks[0].stream_id, 1);
  fail_unless(
      !seeks[0].c.arguments.empty() && seeks[0].c.arguments[0].is_number() &&
          seeks[0].c.arguments[0].number() == 2000.0,
      "seek command arguments: %s",
      seeks[0].c.arguments.empty() ? "none" : seeks[0].c.arguments[0].to_debug_string().c_str());

  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after the seek");
  fail_unless(c.buffers.size() == after.size(),
              "%zu buffers after the seek, expected %zu (stale media output?)", c.buffers.size(),
              after.size());
  for (size_t i = 0; i < after.size(); i++) {
    check_tag(c.buffers[i], after[i], i);
    check_pts(c.buffers[i], after[i].timestamp * GST_MSECOND, i);
  }
  fail_unless(c.buffers[0].discont, "the first buffer after the seek is not DISCONT");
  fail_unless(c.buffers[0].segment.format == GST_FORMAT_TIME &&
                  c.buffers[0].segment.start == 2 * GST_SECOND,
              "segment after the seek starts at %" GST_TIME_FORMAT,
              GST_TIME_ARGS(c.buffers[0].segment.start));
  fail_unless(p.wait_bus_eos(3000), "no EOS message");
  p.stop_promptly();
}
GST_END_TEST;

// 6. Pause: a recorded stream tells the server (pause true/false with the position); a live one
// does not.
GST_START_TEST(test_recorded_pause) {
  ServerLog log;
  std::vector<rtmp::Message> before = {msg(kData, 0, on_metadata(meta_both(10)))};
  for (uint32_t i = 0; i < 10; i++) before.push_back(msg(kVideo, i * 40, video(100, i, i == 0)));
  const rtmp::Message resumed = msg(kVideo, 400, video(100, 77));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : before) c.send_media(m.type, m.timestamp, m.payload);
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "pause") continue;
      if (cmd->arguments.empty() || cmd->arguments[0].boolean()) {
        c.send_status(1, "status", "NetStream.Pause.Notify", "Paused.");
      } else {
        c.send_status(1, "status", "NetStream.Unpause.Notify", "Unpaused.");
        c.send_media(resumed.type, resumed.timestamp, resumed.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(1 + before.size());

  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 1, kWaitMs), "PLAYING -> PAUSED sent no pause command");
  auto pauses = log.commands("pause");
  fail_unless_equals_int(pauses[0].stream_id, 1);
  fail_unless(pauses[0].c.arguments.size() >= 2, "pause has %zu arguments",
              pauses[0].c.arguments.size());
  fail_unless(pauses[0].c.arguments[0].type() == rtmp::amf0::Type::kBoolean &&
                  pauses[0].c.arguments[0].boolean(),
              "the first pause is not pause(true)");
  // The position: the timestamp of the last media message received (as librtmp does).
  fail_unless(pauses[0].c.arguments[1].number() == 360.0, "pause position %g, expected 360",
              pauses[0].c.arguments[1].number());

  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 2, kWaitMs), "PAUSED -> PLAYING sent no pause command");
  pauses = log.commands("pause");
  fail_unless_equals_int(pauses.size(), 2);
  fail_unless_equals_int(pauses[1].stream_id, 1);
  fail_unless(pauses[1].c.arguments.size() >= 2 &&
                  pauses[1].c.arguments[0].type() == rtmp::amf0::Type::kBoolean &&
                  !pauses[1].c.arguments[0].boolean(),
              "the second pause is not pause(false)");
  fail_unless(pauses[1].c.arguments[1].number() == 360.0, "resume position %g, expected 360",
              pauses[1].c.arguments[1].number());

  // Playing resumes: what the server sends after unpausing comes out, then EOS.
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], resumed, 0);
  p.stop_promptly();
}
GST_END_TEST;

GST_START_TEST(test_live_pause) {
  ServerLog log;
  std::atomic<bool> resumed{false};
  const rtmp::Message later = msg(kVideo, 1000, video(100, 99));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    for (uint32_t i = 0; i < 5; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    bool sent_later = false;
    for (;;) {
      auto m = c.read_message(50);
      if (m)
        log.add(*m);
      else if (c.peer_closed() || !c.error().empty())
        break;
      if (resumed.load() && !sent_later) {
        sent_later = true;
        c.send_media(later.type, later.timestamp, later.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(6);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  g_usleep(300 * 1000);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  g_usleep(300 * 1000);
  fail_unless(log.commands("pause").empty(), "a pause command was sent for a live stream");
  // The stream goes on after resuming.
  resumed = true;
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], later, 0);
  p.stop_promptly();
}
GST_END_TEST;

// A recorded stream paused for longer than idle-timeout: the server sends nothing because it was
// asked to pause, which is not a stalled stream ("seconds without media while playing").
GST_START_TEST(test_recorded_pause_idle_timeout) {
  ServerLog log;
  const rtmp::Message resumed = msg(kVideo, 400, video(100, 77));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "pause" || cmd->arguments.empty()) continue;
      if (cmd->arguments[0].boolean()) {
        c.send_status(1, "status", "NetStream.Pause.Notify", "Paused.");
      } else {
        c.send_status(1, "status", "NetStream.Unpause.Notify", "Unpaused.");
        c.send_media(resumed.type, resumed.timestamp, resumed.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  g_object_set(p.src(), "idle-timeout", 1u, nullptr);
  p.play();
  p.pull_n(4);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 1, kWaitMs), "PLAYING -> PAUSED sent no pause command");
  g_usleep(2500 * 1000);  // paused for 2.5 x idle-timeout
  p.poll_bus(0);
  fail_if(p.error().got, "ERROR while paused: %s", p.error().text.c_str());
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], resumed, 0);
  p.stop_promptly();
}
GST_END_TEST;

// A recorded stream played to its end can be played again by seeking back.
GST_START_TEST(test_recorded_seek_after_eos) {
  ServerLog log;
  std::vector<rtmp::Message> media;
  for (uint32_t i = 0; i < 3; i++) media.push_back(msg(kVideo, i * 40, video(100, i, i == 0)));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : media) c.send_media(m.type, m.timestamp, m.payload);
    c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "seek") continue;
      c.send_status(1, "status", "NetStream.Seek.Notify", "Seeking 0.");
      for (const auto& a : media) c.send_media(a.type, a.timestamp, a.payload);
      c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  SrcPipeline::Collected played = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(played.eos, "no EOS");
  fail_unless_equals_int(played.buffers.size(), 1 + media.size());
  fail_unless(gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0),
              "the seek after EOS failed");
  fail_unless(log.wait_commands("seek", 1, kWaitMs), "the server received no seek command");
  auto seeks = log.commands("seek");
  fail_unless(!seeks[0].c.arguments.empty() && seeks[0].c.arguments[0].number() == 0.0);
  SrcPipeline::Collected again = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(again.eos, "no EOS after playing again");
  fail_unless_equals_int(again.buffers.size(), media.size());
  for (size_t i = 0; i < media.size(); i++) {
    check_tag(again.buffers[i], media[i], i);
    check_pts(again.buffers[i], media[i].timestamp * GST_MSECOND, i);
  }
  fail_unless(again.buffers[0].discont, "the first buffer after the seek is not DISCONT");
  p.stop_promptly();
}
GST_END_TEST;

// RTMP cannot play backwards: a seek with a negative rate is refused, and no seek is sent.
GST_START_TEST(test_recorded_reverse_seek_refused) {
  ServerLog log;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    c.send_media(kData, 0, on_metadata(meta_both(4.5)));
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    while (auto m = c.read_message(-1)) log.add(*m);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(5);
  gboolean ok = gst_element_seek(p.pipeline(), -1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
                                 GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, 2 * GST_SECOND);
  g_usleep(300 * 1000);
  size_t seeks = log.commands("seek").size();
  GST_INFO("reverse seek returned %d; the server got %zu seek commands", ok, seeks);
  fail_if(ok, "a reverse (rate -1) seek was accepted");
  fail_unless_equals_int(seeks, 0);
  p.stop_promptly();
}
GST_END_TEST;

static Suite* rtmpsrc_suite() {
  Suite* s = suite_create("rtmpsrc");
  TCase* control = tcase_create("control");
  suite_add_tcase(s, control);
  tcase_add_test(control, test_live_queries);
  tcase_add_test(control, test_recorded_seek);
  tcase_add_test(control, test_recorded_pause);
  tcase_add_test(control, test_live_pause);
  tcase_add_test(control, test_recorded_pause_idle_timeout);
  tcase_add_test(control, test_recorded_seek_after_eos);
  tcase_add_test(control, test_recorded_reverse_seek_refused);
  return s;
}

GST_CHECK_MAIN(rtmpsrc)
