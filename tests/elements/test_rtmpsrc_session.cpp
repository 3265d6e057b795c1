// Element tests for rtmpsrc, the play session from start to end: every way a stream can end or
// fail (EOS for the server's end-of-stream signals, errors for failures, idle-timeout), the
// commands the client sends to play, statistics while playing and back-pressure, against the
// fake server (see src_test_support.hpp).

#include <atomic>

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "src_test_support.hpp"

// 7. How a stream ends: EOS for the server's end-of-stream signals, errors for failures.
static std::vector<rtmp::Message> few_media() {
  return {msg(kVideo, 0, video(300, 1, true)), msg(kAudio, 10, audio(50, 2)),
          msg(kVideo, 40, video(120, 3))};
}

static void run_end_case(End end) {
  Script s;
  s.messages = few_media();
  s.end = end;
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);
}

GST_START_TEST(test_end_play_stop) {
  run_end_case(End::kPlayStop);
}
GST_END_TEST;

GST_START_TEST(test_end_stream_eof) {
  run_end_case(End::kStreamEof);
}
GST_END_TEST;

GST_START_TEST(test_end_unpublish_notify) {
  run_end_case(End::kUnpublishNotify);
}
GST_END_TEST;

GST_START_TEST(test_server_closes_mid_play) {
  Script s;
  s.messages = few_media();
  s.end = End::kClose;
  PlayResult r = run_play(s);
  fail_unless(r.server.playing);
  check_error(r.error, GST_RESOURCE_ERROR_READ, r.safe_url);
}
GST_END_TEST;

GST_START_TEST(test_stream_not_found) {
  Script s;
  s.end = End::kStreamNotFound;
  PlayResult r = run_play(s);
  fail_unless(r.server.play_refused);
  check_error(r.error, GST_RESOURCE_ERROR_NOT_FOUND, r.safe_url, {"NetStream.Play.StreamNotFound"});
}
GST_END_TEST;

GST_START_TEST(test_play_failed) {
  Script s;
  s.end = End::kPlayFailed;
  PlayResult r = run_play(s);
  fail_unless(r.server.play_refused);
  check_error(r.error, GST_RESOURCE_ERROR_OPEN_READ, r.safe_url, {"NetStream.Play.Failed"});
}
GST_END_TEST;

// A server that sends a few media messages, then nothing: the idle-timeout ERROR comes about 1 s
// after the last media. `set_while_waiting`: the property is set only while the streaming thread
// already waits (without a time limit, as it does without idle-timeout); setting it interrupts
// that wait.
static void run_idle_timeout_case(bool set_while_waiting) {
  Script s;
  s.messages = few_media();
  s.end = End::kSilent;
  ServerRecord rec;
  FakeRtmpServer server(scripted(&s, &rec));
  SrcPipeline p(secret_location(server.port()));
  if (!set_while_waiting) g_object_set(p.src(), "idle-timeout", 1u, nullptr);
  p.play();
  p.pull_n(1 + s.messages.size());
  gint64 from = g_get_monotonic_time();
  if (set_while_waiting) {
    g_usleep(300 * 1000);
    p.poll_bus(0);
    fail_if(p.error().got, "an error before idle-timeout was set: %s", p.error().text.c_str());
    from = g_get_monotonic_time();
    g_object_set(p.src(), "idle-timeout", 1u, nullptr);
  }
  const BusError& e = p.wait_error(5000);
  gint64 took_ms = (g_get_monotonic_time() - from) / 1000;
  GST_INFO("idle error %" G_GINT64_FORMAT " ms after the last media or the setting", took_ms);
  check_error(e, GST_RESOURCE_ERROR_READ, safe_location(server.port()), {"idle-timeout"});
  fail_unless(took_ms >= 500 / slowdown() && took_ms <= 2000 * slowdown(),
              "the idle-timeout error came %" G_GINT64_FORMAT
              " ms after the last media or the "
              "setting",
              took_ms);
  p.stop_promptly();
}

GST_START_TEST(test_idle_timeout) {
  run_idle_timeout_case(false);
}
GST_END_TEST;

GST_START_TEST(test_idle_timeout_set_while_waiting) {
  run_idle_timeout_case(true);
}
GST_END_TEST;

// 8. What the client sends to play: connect for playing, Window Acknowledgement Size,
// createStream, play on the new stream, Set Buffer Length for it.
GST_START_TEST(test_play_commands) {
  Script s;
  s.messages = few_media();
  PlayResult r = run_play(s);
  check_clean_eos(r);
  fail_unless(r.server.closed_by_client, "the client did not close the connection");
  const auto& log = r.server.log;
  struct Cmd {
    size_t index;
    rtmp::commands::Command c;
    uint32_t stream_id;
  };
  std::vector<Cmd> cmds;
  ssize_t window_ack = -1, buffer_length = -1;
  rtmp::control::UserControl set_buffer;
  for (size_t i = 0; i < log.size(); i++) {
    const auto& m = log[i];
    if (auto c = as_command(m)) cmds.push_back({i, std::move(*c), m.stream_id});
    if (m.type == static_cast<uint8_t>(rtmp::MessageType::kWindowAckSize) && window_ack < 0) {
      fail_unless(m.payload.size() >= 4);
      fail_unless_equals_int(rtmp::get_u32be(m.payload.data()), 2500000);
      window_ack = static_cast<ssize_t>(i);
    }
    if (m.type == static_cast<uint8_t>(rtmp::MessageType::kUserControl)) {
      auto uc = rtmp::control::parse_user_control(m.payload);
      fail_unless(uc.has_value(), "malformed user control message from the client");
      if (uc->event == static_cast<uint16_t>(rtmp::control::UserControlEvent::kSetBufferLength)) {
        fail_unless(buffer_length < 0, "two Set Buffer Length messages");
        buffer_length = static_cast<ssize_t>(i);
        set_buffer = *uc;
      }
    }
  }
  std::string names;
  for (const auto& c : cmds) names += c.c.name + " ";
  GST_INFO("commands: %s", names.c_str());
  fail_unless(cmds.size() >= 3, "commands: %s", names.c_str());
  assert_str_eq(cmds[0].c.name, "connect");
  assert_str_eq(cmds[1].c.name, "createStream");
  assert_str_eq(cmds[2].c.name, "play");

  // connect for playing: no type "nonprivate"; Flash player capabilities.
  const Value& obj = cmds[0].c.command_object;
  GST_INFO("connect: %s", obj.to_debug_string().c_str());
  assert_str_eq(obj.get_string("app").value_or(""), "app");
  assert_str_eq(obj.get_string("tcUrl").value_or(""),
                "rtmp://127.0.0.1:" + std::to_string(r.port) + "/app");
  fail_unless(obj.get("type") == nullptr, "connect for playing has a type: %s",
              obj.to_debug_string().c_str());
  const Value* fpad = obj.get("fpad");
  fail_unless(fpad && fpad->type() == rtmp::amf0::Type::kBoolean && !fpad->boolean(),
              "fpad is not false");
  fail_unless(obj.get_number("capabilities") == 15.0, "capabilities: %s",
              obj.to_debug_string().c_str());
  fail_unless(obj.get_number("audioCodecs") == 3191.0, "audioCodecs");
  fail_unless(obj.get_number("videoCodecs") == 252.0, "videoCodecs");
  fail_if(contains(obj.to_debug_string(), kPassword), "the password was sent in connect");

  // Window Acknowledgement Size, before connect.
  fail_unless(window_ack >= 0, "no Window Acknowledgement Size");
  fail_unless(static_cast<size_t>(window_ack) < cmds[0].index, "Window Ack Size after connect");

  // play on stream 1: name, start -2000 (live, else recorded), duration -1 (all), reset true.
  const auto& play = cmds[2];
  fail_unless_equals_int(play.stream_id, 1);
  fail_unless_equals_int(play.c.transaction_id, 0);
  fail_unless_equals_int(play.c.arguments.size(), 4);
  assert_str_eq(play.c.arguments[0].string(), "stream");
  fail_unless(play.c.arguments[1].number() == -2000.0, "play start %g",
              play.c.arguments[1].number());
  fail_unless(play.c.arguments[2].number() == -1.0, "play duration %g",
              play.c.arguments[2].number());
  fail_unless(
      play.c.arguments[3].type() == rtmp::amf0::Type::kBoolean && play.c.arguments[3].boolean(),
      "play reset is not true");

  // Set Buffer Length for stream 1 (the buffer-length default, 10 h), after play.
  fail_unless(buffer_length >= 0, "no Set Buffer Length");
  fail_unless(static_cast<size_t>(buffer_length) > play.index, "Set Buffer Length before play");
  fail_unless_equals_int(set_buffer.value, 1);
  fail_unless_equals_int(set_buffer.buffer_ms, 36000000);
}
GST_END_TEST;

// 8b. librtmp's live= option chooses play's start argument: unset -2000 (live, else recorded),
// live=1 -1000 (live only), live=0 0 (recorded only).
static double play_start_for(const std::string& options) {
  std::atomic<double> start{1.0};  // no play seen
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake(kHandlerTimeoutMs) || !c.answer_connect() || !c.answer_create_stream()) return;
    auto play = c.expect_command("play", kHandlerTimeoutMs);
    if (!play || play->arguments.size() < 2) return;
    start = play->arguments[1].number();
    c.send_status(1, "error", "NetStream.Play.StreamNotFound", "No such stream");
    c.read_until_closed(20000);
  });
  SrcPipeline p("rtmp://127.0.0.1:" + std::to_string(server.port()) + "/app/stream" + options);
  p.play();
  p.wait_error(5000);
  return start.load();
}

GST_START_TEST(test_live_option_play_start) {
  double unset = play_start_for("");
  fail_unless(unset == -2000.0, "default start %g", unset);
  double live = play_start_for(" live=1");
  fail_unless(live == -1000.0, "live=1 start %g", live);
  double recorded = play_start_for(" live=0");
  fail_unless(recorded == 0.0, "live=0 start %g", recorded);
}
GST_END_TEST;

// 9. Statistics while playing.
GST_START_TEST(test_stats_while_playing) {
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(1000, i, i == 0));
    c.read_until_closed(30000);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(4);
  guint64 in_bytes = 0, in_messages = 0;
  std::string state;
  // The counters are published by the session's 100 ms tick: wait until they include what was
  // received so far (connect and createStream replies, user control, Play.Start, 3 media).
  bool ok = wait_until(
      [&] {
        GstStructure* s = p.stats();
        state = gst_structure_get_string(s, "state");
        gst_structure_get_uint64(s, "in-bytes-total", &in_bytes);
        gst_structure_get_uint64(s, "in-messages", &in_messages);
        gst_structure_free(s);
        return in_bytes > 3000 && in_messages >= 6;
      },
      2000 * slowdown());
  GST_INFO("stats: state %s, in-bytes-total %" G_GUINT64_FORMAT ", in-messages %" G_GUINT64_FORMAT,
           state.c_str(), in_bytes, in_messages);
  assert_str_eq(state, "playing");
  fail_unless(ok, "in-bytes-total %" G_GUINT64_FORMAT ", in-messages %" G_GUINT64_FORMAT, in_bytes,
              in_messages);
  p.stop_promptly();
}
GST_END_TEST;

// 10. Back-pressure: while nothing is taken downstream, the element does not read (and buffer)
// the whole stream; once data flows again, everything comes, in order.
namespace {

constexpr size_t kBigCount = 320;
constexpr size_t kBigSize = 64 * 1024;  // 320 x 64 KiB = 20 MiB

rtmp::Bytes big_payload(uint32_t i) {
  // Video tag data header, the sequence number, a pattern.
  rtmp::Bytes v = {static_cast<uint8_t>(i % 30 == 0 ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
  rtmp::put_u32be(v, i);
  rtmp::Bytes body = pattern(kBigSize - v.size(), i);
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

}  // namespace

GST_START_TEST(test_back_pressure) {
  std::atomic<size_t> sent{0};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    if (!c.set_chunk_size(65536)) return;
    for (uint32_t i = 0; i < kBigCount; i++) {
      if (!c.send_media(kVideo, i * 10, big_payload(i))) return;
      sent = i + 1;
    }
    c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    c.read_until_closed(60000);
  });
  SrcPipeline p(secret_location(server.port()));
  g_object_set(p.sink(), "max-buffers", 1u, "drop", FALSE, nullptr);
  p.play();
  std::vector<OutBuf> header = p.pull_n(1);
  check_header(header[0], kFlagAudio | kFlagVideo);
  g_usleep(2 * G_USEC_PER_SEC);  // nothing taken downstream meanwhile
  GstStructure* s = p.stats();
  guint64 in_bytes = 0;
  gst_structure_get_uint64(s, "in-bytes-total", &in_bytes);
  GST_INFO("after 2 s without pulling: in-bytes-total %" G_GUINT64_FORMAT
           ", server sent %zu of %zu messages",
           in_bytes, sent.load(), kBigCount);
  assert_str_eq(gst_structure_get_string(s, "state"), "playing");
  gst_structure_free(s);
  fail_unless(in_bytes < 8 * 1024 * 1024,
              "the element read %" G_GUINT64_FORMAT " bytes while downstream took nothing",
              in_bytes);
  fail_unless(in_bytes > 0);

  SrcPipeline::Collected c = p.collect(60000 * slowdown());
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS (%zu buffers)", c.buffers.size());
  fail_unless_equals_int(c.buffers.size(), kBigCount);
  for (uint32_t i = 0; i < kBigCount; i++) {
    check_tag(c.buffers[i], kVideo, i * 10, big_payload(i), i + 1);
    check_pts(c.buffers[i], i * 10 * GST_MSECOND, i + 1);
  }
  p.stop_promptly();
}
GST_END_TEST;
static Suite* rtmpsrc_suite() {
  Suite* s = suite_create("rtmpsrc");
  TCase* control = tcase_create("control");
  suite_add_tcase(s, control);
  tcase_add_test(control, test_play_commands);
  tcase_add_test(control, test_stats_while_playing);
  tcase_add_test(control, test_back_pressure);

  TCase* end = tcase_create("end");
  suite_add_tcase(s, end);
  tcase_add_test(end, test_end_play_stop);
  tcase_add_test(end, test_end_stream_eof);
  tcase_add_test(end, test_end_unpublish_notify);
  tcase_add_test(end, test_server_closes_mid_play);
  tcase_add_test(end, test_stream_not_found);
  tcase_add_test(end, test_play_failed);
  tcase_add_test(end, test_live_option_play_start);
  tcase_add_test(end, test_idle_timeout);
  tcase_add_test(end, test_idle_timeout_set_while_waiting);
  return s;
}

GST_CHECK_MAIN(rtmpsrc)
