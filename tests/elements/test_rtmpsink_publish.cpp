// Element tests for rtmpsink, publishing: a whole publish against the fake server (commands,
// media and stats), librtmp-style location options, the connection-state bus messages, and
// stopping while the session is busy (connecting, publishing, draining at EOS).
#include <atomic>
#include <mutex>
#include <optional>

#include "rtmp/commands.hpp"
#include "rtmp/message.hpp"

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include <gst/check/gstharness.h>
#include "sink_test_support.hpp"

// 9. A whole publish against the fake server.
namespace {

struct ServerRecord {
  bool publishing = false;
  bool closed_by_client = false;
  std::vector<rtmp::Message> log;
};

std::optional<rtmp::commands::Command> as_command(const rtmp::Message& m) {
  if (m.type != static_cast<uint8_t>(rtmp::MessageType::kCommandAmf0)) return std::nullopt;
  std::string err;
  return rtmp::commands::parse_command(m.payload, &err);
}

std::string arg_string(const rtmp::commands::Command& c, size_t i) {
  return i < c.arguments.size() ? c.arguments[i].string() : std::string("<missing>");
}

}  // namespace

GST_START_TEST(test_publish_success) {
  SyntheticFlv flv = make_flv();
  ServerRecord record;  // written by the handler, read after wait_finished()
  FakeRtmpServer server([&](FakeConnection& c) {
    record.publishing = c.accept_until_publishing(kHandlerTimeoutMs);
    if (record.publishing) record.closed_by_client = c.read_until_closed(20000);
    record.log = c.received();
  });
  const uint16_t port = server.port();
  SinkPipeline p(secret_location(port), 5);
  p.push_flv(flv);
  p.end_of_stream();
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  SinkError error;
  bool eos = p.wait_eos(20000, &error);
  fail_if(error.got, "ERROR on the bus: %s (%s)", error.text.c_str(), error.debug.c_str());
  fail_unless(eos, "no EOS on the bus");

  fail_unless(server.wait_finished(1, 10000), "the fake server's handler did not finish");
  fail_unless(record.publishing, "the fake server did not get to publishing");
  fail_unless(record.closed_by_client, "the client did not close the connection after EOS");

  // Stats before stopping: the session is closed and kept its counters.
  GstStructure* stats = nullptr;
  g_object_get(p.sink(), "stats", &stats, nullptr);
  fail_unless(stats != nullptr);
  GST_INFO("stats: %" GST_PTR_FORMAT, stats);
  guint64 out_bytes = 0, media_out = 0;
  guint chunk = 0;
  fail_unless(gst_structure_get_uint64(stats, "out-bytes-total", &out_bytes));
  fail_unless(gst_structure_get_uint64(stats, "out-media-messages", &media_out));
  fail_unless(gst_structure_get_uint(stats, "out-chunk-size", &chunk));
  fail_unless(out_bytes > 0);
  fail_unless_equals_uint64(media_out, flv.tags.size());
  fail_unless_equals_int(chunk, 4096);
  fail_unless_equals_string(gst_structure_get_string(stats, "state"), "closed");
  gst_structure_free(stats);
  p.stop_promptly();

  // What the server received, in order.
  const auto& log = record.log;
  struct Cmd {
    size_t index;
    rtmp::commands::Command c;
    uint32_t stream_id;
  };
  std::vector<Cmd> cmds;
  std::vector<size_t> media;
  ssize_t set_chunk_size_index = -1;
  for (size_t i = 0; i < log.size(); i++) {
    const auto& m = log[i];
    if (auto c = as_command(m)) cmds.push_back({i, std::move(*c), m.stream_id});
    if (m.type == 8 || m.type == 9 || m.type == 18) media.push_back(i);
    if (m.type == 1 && set_chunk_size_index < 0 && m.payload.size() >= 4 &&
        rtmp::get_u32be(m.payload.data()) == 4096)
      set_chunk_size_index = static_cast<ssize_t>(i);
  }
  std::string names;
  for (const auto& c : cmds) names += c.c.name + " ";
  GST_INFO("commands: %s", names.c_str());
  const char* expected[] = {"connect", "releaseStream", "FCPublish",   "createStream",
                            "publish", "FCUnpublish",   "deleteStream"};
  fail_unless_equals_int(cmds.size(), G_N_ELEMENTS(expected));
  for (size_t i = 0; i < cmds.size(); i++)
    fail_unless(cmds[i].c.name == expected[i], "command %zu is %s, expected %s (all: %s)", i,
                cmds[i].c.name.c_str(), expected[i], names.c_str());

  // Set Chunk Size 4096 before connect.
  fail_unless(set_chunk_size_index >= 0, "no Set Chunk Size 4096");
  fail_unless(static_cast<size_t>(set_chunk_size_index) < cmds[0].index,
              "Set Chunk Size came after connect");

  // connect's command object.
  const Value& obj = cmds[0].c.command_object;
  assert_str_eq(obj.get_string("app").value_or(""), "app");
  std::string tc_url = "rtmp://127.0.0.1:" + std::to_string(port) + "/app";
  assert_str_eq(obj.get_string("tcUrl").value_or(""), tc_url.c_str());
  assert_str_eq(obj.get_string("type").value_or(""), "nonprivate");
  assert_str_eq(obj.get_string("flashVer").value_or(""), "FMLE/3.0 (compatible; GstRtmpNative)");
  fail_if(contains(obj.to_debug_string(), kSecret), "the password was sent in connect");

  assert_str_eq(arg_string(cmds[1].c, 0), "stream");  // releaseStream
  assert_str_eq(arg_string(cmds[2].c, 0), "stream");  // FCPublish
  assert_str_eq(arg_string(cmds[4].c, 0), "stream");  // publish
  assert_str_eq(arg_string(cmds[4].c, 1), "live");
  fail_unless_equals_int(cmds[4].stream_id, 1);
  assert_str_eq(arg_string(cmds[5].c, 0), "stream");  // FCUnpublish
  fail_unless(!cmds[6].c.arguments.empty() && cmds[6].c.arguments[0].number() == 1.0,
              "deleteStream does not name stream 1");

  // Media: every tag, in order, after publish and before FCUnpublish.
  fail_unless_equals_int(media.size(), flv.tags.size());
  fail_unless(media.front() > cmds[4].index, "media before publish");
  fail_unless(media.back() < cmds[5].index, "media after FCUnpublish");
  for (size_t i = 0; i < media.size(); i++) {
    const rtmp::Message& m = log[media[i]];
    const rtmp::FlvTag& t = flv.tags[i];
    fail_unless_equals_int(m.type, t.type);
    fail_unless_equals_int(m.timestamp, t.timestamp);
    fail_unless_equals_int(m.stream_id, 1);
    rtmp::Bytes want;
    if (t.type == rtmp::kFlvTagScript) rtmp::amf0::encode(Value::String("@setDataFrame"), want);
    want.insert(want.end(), t.data.begin(), t.data.end());
    fail_unless(m.payload == want, "payload of message %zu (type %d, %zu bytes) differs", i, m.type,
                m.payload.size());
  }
  // The data message really is @setDataFrame + onMetaData.
  std::vector<Value> values;
  std::string err;
  fail_unless(rtmp::commands::parse_data(log[media[0]].payload, values, &err), "%s", err.c_str());
  fail_unless(values.size() >= 3);
  assert_str_eq(values[0].string(), "@setDataFrame");
  assert_str_eq(values[1].string(), "onMetaData");
}
GST_END_TEST;

// 9b. librtmp-style options after the URL plus extra-connect-args reach the server.
GST_START_TEST(test_librtmp_style_location) {
  SyntheticFlv flv = make_flv();
  ServerRecord record;  // written by the handler, read after wait_finished()
  FakeRtmpServer server([&](FakeConnection& c) {
    record.publishing = c.accept_until_publishing(kHandlerTimeoutMs);
    if (record.publishing) record.closed_by_client = c.read_until_closed(20000);
    record.log = c.received();
  });
  const uint16_t port = server.port();
  const std::string location = "rtmp://127.0.0.1:" + std::to_string(port) +
                               "/ignored/ignored app=realapp playpath=realstream "
                               "flashver=FL\\2010 conn=S:hello conn=O:1 conn=NN:n:2 conn=O:0";
  SinkPipeline p(location, 5);
  g_object_set(p.sink(), "extra-connect-args", "conn=B:1", nullptr);

  // Bad options are refused and leave everything as it was.
  GError* uri_error = nullptr;
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(p.sink()), "rtmp://h/a/s bogus=1", &uri_error));
  fail_unless(uri_error != nullptr);
  g_clear_error(&uri_error);
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(p.sink()), "rtmp://h/a/s conn=O:1", &uri_error));
  g_clear_error(&uri_error);

  // The properties reflect the options; location reads back as the plain URL.
  gchar* app = nullptr;
  gchar* stream = nullptr;
  gchar* flash = nullptr;
  gchar* loc = nullptr;
  gchar* extra = nullptr;
  g_object_get(p.sink(), "application", &app, "stream", &stream, "flash-version", &flash,
               "location", &loc, "extra-connect-args", &extra, nullptr);
  assert_str_eq(app, "realapp");
  assert_str_eq(stream, "realstream");
  assert_str_eq(flash, "FL 10");
  assert_str_eq(loc, "rtmp://127.0.0.1:" + std::to_string(port) + "/realapp/realstream");
  assert_str_eq(extra, "conn=B:1");
  g_free(app);
  g_free(stream);
  g_free(flash);
  g_free(loc);
  g_free(extra);
  // The refused locations stay refused (the element would not start): set the good one again.
  g_object_set(p.sink(), "location", location.c_str(), nullptr);

  p.push_flv(flv);
  p.end_of_stream();
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  SinkError error;
  bool eos = p.wait_eos(20000, &error);
  fail_if(error.got, "ERROR on the bus: %s (%s)", error.text.c_str(), error.debug.c_str());
  fail_unless(eos, "no EOS on the bus");
  p.stop_promptly();
  fail_unless(server.wait_finished(1, 10000), "the fake server's handler did not finish");
  fail_unless(record.publishing, "the fake server did not get to publishing");

  std::optional<rtmp::commands::Command> connect, publish;
  for (const auto& m : record.log) {
    auto c = as_command(m);
    if (!c) continue;
    if (c->name == "connect" && !connect)
      connect = std::move(c);
    else if (c->name == "publish" && !publish)
      publish = std::move(c);
  }
  fail_unless(connect.has_value(), "no connect received");
  fail_unless(publish.has_value(), "no publish received");
  const Value& obj = connect->command_object;
  assert_str_eq(obj.get_string("app").value_or(""), "realapp");
  assert_str_eq(obj.get_string("flashVer").value_or(""), "FL 10");
  assert_str_eq(obj.get_string("tcUrl").value_or(""),
                "rtmp://127.0.0.1:" + std::to_string(port) + "/realapp");
  const std::vector<Value> want = {Value::String("hello"), Value::Object({{"n", Value::Number(2)}}),
                                   Value::Boolean(true)};
  std::string got;
  for (const auto& a : connect->arguments) got += a.to_debug_string() + " ";
  fail_unless(connect->arguments == want, "connect arguments are %s", got.c_str());
  assert_str_eq(arg_string(*publish, 0), "realstream");
}
GST_END_TEST;

// Every connection state reaches the bus as an element message, in order, without the password.
struct StateLog {
  std::mutex mutex;
  std::vector<std::string> states;
  std::vector<std::string> urls;
  std::vector<guint> attempts;
};

static GstBusSyncReply collect_state(GstBus*, GstMessage* msg, gpointer data) {
  const GstStructure* s = gst_message_get_structure(msg);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && s &&
      gst_structure_has_name(s, "rtmp-connection-state")) {
    auto* log = static_cast<StateLog*>(data);
    std::lock_guard lock(log->mutex);
    log->states.push_back(gst_structure_get_string(s, "state"));
    log->urls.push_back(gst_structure_get_string(s, "url"));
    guint attempt = 0;
    gst_structure_get_uint(s, "attempt", &attempt);
    log->attempts.push_back(attempt);
  }
  return GST_BUS_PASS;
}

GST_START_TEST(test_state_messages) {
  SyntheticFlv flv = make_flv();
  FakeRtmpServer server([&](FakeConnection& c) {
    if (c.accept_until_publishing(kHandlerTimeoutMs)) c.read_until_closed(20000);
  });
  SinkPipeline p(secret_location(server.port()), 5);
  StateLog log;
  gst_bus_set_sync_handler(p.bus(), collect_state, &log, nullptr);
  p.push_flv(flv);
  p.end_of_stream();
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  SinkError error;
  fail_unless(p.wait_eos(20000, &error), "no EOS: %s", error.text.c_str());
  p.stop_promptly();
  gst_bus_set_sync_handler(p.bus(), nullptr, nullptr, nullptr);
  std::vector<std::string> expected = {"resolving",      "connecting",      "handshaking",
                                       "connecting-app", "creating-stream", "starting",
                                       "publishing",     "closing",         "closed"};
  std::lock_guard lock(log.mutex);
  fail_unless_equals_int(log.states.size(), expected.size());
  for (size_t i = 0; i < expected.size(); i++) {
    fail_unless_equals_string(log.states[i].c_str(), expected[i].c_str());
    fail_unless(log.urls[i].find("secret") == std::string::npos, "password in %s",
                log.urls[i].c_str());
    fail_unless(log.urls[i].find("127.0.0.1") != std::string::npos);
    fail_unless_equals_int(log.attempts[i], 1);
  }
}
GST_END_TEST

// 12. Stopping while the session is busy (connecting, or publishing without EOS) returns promptly
// and closes the connection.

GST_START_TEST(test_stop_while_connecting) {
  std::atomic<bool> handshaken{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    handshaken = c.handshake(kHandlerTimeoutMs);
    c.stall_until_closed();  // never answers connect
  });
  GstElement* sink = gst_element_factory_make("rtmpsink", nullptr);
  fail_unless(sink != nullptr);
  g_object_set(sink, "location", secret_location(server.port()).c_str(), "timeout", 30u, nullptr);
  GstHarness* h = gst_harness_new_with_element(sink, "sink", nullptr);  // starts the sink
  gst_object_unref(sink);
  fail_unless(wait_until([&] { return handshaken.load(); }, 5000),
              "the sink did not connect and complete the handshake");
  gint64 start = g_get_monotonic_time();
  gst_harness_teardown(h);  // to NULL while the session waits for the reply to connect
  gint64 took = g_get_monotonic_time() - start;
  fail_unless(took < kPromptStopUs, "stopping took %" G_GINT64_FORMAT " us", took);
  fail_unless(server.wait_finished(1, 5000), "the sink did not close the connection");
}
GST_END_TEST;

GST_START_TEST(test_stop_while_publishing) {
  std::atomic<int> media{0};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing(kHandlerTimeoutMs)) return;
    while (auto m = c.read_message(-1)) {  // until the sink closes or the server stops
      if (m->type == 8 || m->type == 9 || m->type == 18) media++;
    }
  });
  SyntheticFlv flv = make_flv();
  SinkPipeline p(secret_location(server.port()), 5);
  p.push_flv(flv);  // no EOS: the session stays in publishing
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  fail_unless(wait_until([&] { return media.load() == static_cast<int>(flv.tags.size()); }, 10000),
              "the server got %d of %zu media messages", media.load(), flv.tags.size());
  GstStructure* stats = nullptr;
  g_object_get(p.sink(), "stats", &stats, nullptr);
  fail_unless_equals_string(gst_structure_get_string(stats, "state"), "publishing");
  fail_unless_equals_string(gst_structure_get_string(stats, "transport"), "tcp");
  gst_structure_free(stats);
  p.stop_promptly();
  fail_unless(server.wait_finished(1, 5000), "the sink did not close the connection");
  SinkError e = p.wait_sink_error(0);
  fail_if(e.got, "stopping posted an error: %s", e.text.c_str());
}
GST_END_TEST;

// One buffer queued 300 times (as a tee gives the same buffer to many sinks) while nothing is
// sent (the server never answers the handshake): every tag waits with its bytes in that buffer.
// Regression: each waiting tag kept the buffer mapped, and a GstMemory counts concurrent maps in
// 8 bits: from the 256th, GStreamer's CRITICAL "gst_mini_object_unlock: assertion failed".
GST_START_TEST(test_one_buffer_queued_many_times) {
  FakeRtmpServer server([&](FakeConnection& c) { c.stall_until_closed(); });
  SyntheticFlv flv = make_video_flv(1, 200);
  size_t last_tag = 11 + flv.tags.back().data.size() + 4;
  size_t head = flv.bytes.size() - last_tag;  // the FLV header and the sequence header
  SinkPipeline p(secret_location(server.port()), 30);
  g_object_set(p.sink(), "sync", FALSE, nullptr);  // not paced: queued without waiting
  GstObject* pipeline = gst_element_get_parent(p.sink());
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  gst_object_unref(pipeline);
  auto push = [&](GstBuffer* buf) {
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "push-buffer", buf, &ret);
    fail_unless_equals_int(ret, GST_FLOW_OK);
  };
  GstBuffer* first = gst_buffer_new_memdup(flv.bytes.data(), head);
  push(first);
  gst_buffer_unref(first);
  GstBuffer* tag = gst_buffer_new_memdup(flv.bytes.data() + head, last_tag);
  for (int i = 0; i < 300; i++) push(tag);
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  fail_unless(wait_until(
                  [&] {
                    guint64 level = 1;
                    g_object_get(src, "current-level-buffers", &level, nullptr);
                    return level == 0;
                  },
                  10000),
              "the sink did not take every buffer");
  p.stop_promptly();
  gst_buffer_unref(tag);
  gst_object_unref(src);
}
GST_END_TEST;

// EOS makes the sink wait for the session to send what is queued and close; stopping in the
// middle of that wait (here: the server never answers connect) must still be prompt.
GST_START_TEST(test_stop_during_eos) {
  std::atomic<bool> got_connect{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    got_connect = c.handshake(kHandlerTimeoutMs) &&
                  c.expect_command("connect", kHandlerTimeoutMs).has_value();
    c.stall_until_closed();
  });
  SyntheticFlv flv = make_flv();
  SinkPipeline p(secret_location(server.port()), 10);
  p.push_flv(flv);
  p.end_of_stream();
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  fail_unless(wait_until([&] { return got_connect.load(); }, 5000), "no connect");
  g_usleep(300 * 1000);  // let EOS reach the sink and its wait begin
  p.stop_promptly();
  fail_unless(server.wait_finished(1, 5000), "the sink did not close the connection");
}
GST_END_TEST;

static Suite* rtmpsink_suite() {
  Suite* s = suite_create("rtmpsink");
  TCase* publish = tcase_create("publish");
  suite_add_tcase(s, publish);
  tcase_add_test(publish, test_publish_success);
  tcase_add_test(publish, test_librtmp_style_location);
  tcase_add_test(publish, test_stop_while_connecting);
  tcase_add_test(publish, test_stop_while_publishing);
  tcase_add_test(publish, test_stop_during_eos);
  tcase_add_test(publish, test_one_buffer_queued_many_times);
  tcase_add_test(publish, test_state_messages);
  return s;
}

GST_CHECK_MAIN(rtmpsink)
