// Element tests for rtmpsink: error reporting against scripted fake servers, a full publish
// against the fake server, the plugin file, and the properties.
//
// Every wait is bounded; every pipeline case ends by setting the pipeline to NULL and checking
// that this returns promptly.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_server.hpp"
#include "rtmp/amf0.hpp"
#include "rtmp/bytes.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/flv_reader.hpp"
#include "rtmp/handshake.hpp"
#include "rtmp/message.hpp"

// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

// String equality for std::string expressions (fail_unless_equals_string keeps a pointer to its
// argument beyond the full expression, which a temporary std::string does not outlive).
#define assert_str_eq(actual, expected)                                                  \
  do {                                                                                   \
    const std::string a_ = (actual);                                                     \
    const std::string e_ = (expected);                                                   \
    fail_unless(a_ == e_, "%s is '%s', expected '%s'", #actual, a_.c_str(), e_.c_str()); \
  } while (0)

namespace {

using rtmp::amf0::Value;

constexpr const char* kSecret = "s3cr3t-Pa55";
constexpr int kHandlerTimeoutMs = 5000;
constexpr int kErrorWaitMs = 15000;
constexpr gint64 kPromptStopUs = 3 * G_USEC_PER_SEC;

// ---------------------------------------------------------------------------------------------
// Synthetic FLV: onMetaData, AAC and H.264 sequence headers, a few frames of each (one video frame
// larger than the 4096-byte chunk size, so it spans several chunks).

struct SyntheticFlv {
  rtmp::Bytes bytes;
  std::vector<rtmp::FlvTag> tags;
};

rtmp::Bytes pattern(size_t n, uint8_t seed) {
  rtmp::Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 7));
  return b;
}

SyntheticFlv make_flv() {
  SyntheticFlv flv;
  auto add = [&](uint8_t type, uint32_t ts, rtmp::Bytes data) {
    rtmp::FlvTag t;
    t.type = type;
    t.timestamp = ts;
    t.data = std::move(data);
    flv.tags.push_back(std::move(t));
  };
  rtmp::Bytes meta;
  rtmp::amf0::encode(Value::String("onMetaData"), meta);
  rtmp::amf0::encode(Value::EcmaArray({{"duration", Value::Number(0)},
                                       {"width", Value::Number(320)},
                                       {"height", Value::Number(240)},
                                       {"framerate", Value::Number(30)},
                                       {"videocodecid", Value::Number(7)},
                                       {"audiocodecid", Value::Number(10)},
                                       {"encoder", Value::String("test_rtmpsink")}}),
                     meta);
  add(rtmp::kFlvTagScript, 0, meta);
  add(rtmp::kFlvTagVideo, 0, {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1});
  add(rtmp::kFlvTagAudio, 0, {0xAF, 0x00, 0x12, 0x10});
  uint32_t audio_ts = 0;
  for (int i = 0; i < 4; i++) {
    rtmp::Bytes v = {static_cast<uint8_t>(i == 0 ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
    rtmp::Bytes body =
        pattern(i == 0 ? 10000 : 300 + 50 * static_cast<size_t>(i), static_cast<uint8_t>(i));
    v.insert(v.end(), body.begin(), body.end());
    add(rtmp::kFlvTagVideo, static_cast<uint32_t>(i * 33), std::move(v));
    while (audio_ts <= static_cast<uint32_t>(i * 33)) {
      rtmp::Bytes a = {0xAF, 0x01};
      rtmp::Bytes frame = pattern(120 + audio_ts % 17, static_cast<uint8_t>(audio_ts));
      a.insert(a.end(), frame.begin(), frame.end());
      add(rtmp::kFlvTagAudio, audio_ts, std::move(a));
      audio_ts += 23;
    }
  }
  rtmp::write_flv_header(true, true, flv.bytes);
  for (const auto& t : flv.tags) rtmp::write_flv_tag(t.type, t.timestamp, t.data, flv.bytes);
  return flv;
}

// ---------------------------------------------------------------------------------------------
// appsrc ! rtmpsink with a bus.

struct SinkError {
  bool got = false;
  GQuark domain = 0;
  int code = -1;
  std::string text;
  std::string debug;
};

class SinkPipeline {
 public:
  SinkPipeline(const std::string& location, guint timeout_s) {
    pipeline_ = gst_pipeline_new("rtmpsink-test");
    src_ = gst_element_factory_make("appsrc", "src");
    sink_ = gst_element_factory_make("rtmpsink", "sink");
    fail_unless(pipeline_ && src_ && sink_, "could not create appsrc ! rtmpsink");
    GstCaps* caps = gst_caps_new_empty_simple("video/x-flv");
    g_object_set(src_, "caps", caps, "format", GST_FORMAT_BYTES, "max-bytes",
                 guint64{16 * 1024 * 1024}, nullptr);
    gst_caps_unref(caps);
    g_object_set(sink_, "location", location.c_str(), "timeout", timeout_s, nullptr);
    gst_bin_add_many(GST_BIN(pipeline_), src_, sink_, nullptr);
    fail_unless(gst_element_link(src_, sink_));
    bus_ = gst_element_get_bus(pipeline_);
  }

  ~SinkPipeline() {
    if (!stopped_) gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }

  GstElement* sink() const { return sink_; }
  GstBus* bus() const { return bus_; }

  // Queues the FLV bytes in uneven pieces (the sink must cope with any segmentation).
  void push_flv(const SyntheticFlv& flv) {
    static const size_t kPieces[] = {1, 12, 700, 4096, 3, 1500, 9000, 250};
    size_t pos = 0;
    for (size_t i = 0; pos < flv.bytes.size(); i++) {
      size_t n = std::min(kPieces[i % G_N_ELEMENTS(kPieces)], flv.bytes.size() - pos);
      GstBuffer* buf = gst_buffer_new_memdup(flv.bytes.data() + pos, n);
      GstFlowReturn ret = GST_FLOW_ERROR;
      g_signal_emit_by_name(src_, "push-buffer", buf, &ret);
      gst_buffer_unref(buf);
      fail_unless_equals_int(ret, GST_FLOW_OK);
      pos += n;
    }
  }

  void end_of_stream() {
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src_, "end-of-stream", &ret);
    fail_unless_equals_int(ret, GST_FLOW_OK);
  }

  GstStateChangeReturn play() { return gst_element_set_state(pipeline_, GST_STATE_PLAYING); }

  // Waits for an ERROR posted by the sink (errors from other elements, such as appsrc's
  // "internal data stream error" after the sink returned a flow error, are skipped).
  SinkError wait_sink_error(int timeout_ms) {
    SinkError e;
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      // A timeout of 0 still takes a message that is already there.
      gint64 left = std::max<gint64>(0, deadline - g_get_monotonic_time());
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, left * GST_USECOND, GST_MESSAGE_ERROR);
      if (!msg) return e;
      bool from_sink = GST_MESSAGE_SRC(msg) == GST_OBJECT(sink_);
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      if (from_sink) {
        e.got = true;
        e.domain = err->domain;
        e.code = err->code;
        e.text = err->message ? err->message : "";
        e.debug = debug ? debug : "";
      } else {
        GST_INFO("error from %s (skipped): %s", GST_MESSAGE_SRC_NAME(msg), err->message);
      }
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
      if (from_sink) return e;
    }
  }

  // Waits for EOS; any ERROR on the way is returned in *error and ends the wait.
  bool wait_eos(int timeout_ms, SinkError* error) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      gint64 left = deadline - g_get_monotonic_time();
      if (left <= 0) return false;
      GstMessage* msg = gst_bus_timed_pop_filtered(
          bus_, left * GST_USECOND,
          static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
      if (!msg) return false;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        gst_message_unref(msg);
        return true;
      }
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      error->got = true;
      error->domain = err->domain;
      error->code = err->code;
      error->text = std::string(GST_MESSAGE_SRC_NAME(msg)) + ": " + err->message;
      error->debug = debug ? debug : "";
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
      return false;
    }
  }

  // Sets the pipeline to NULL and checks that this succeeds promptly.
  void stop_promptly() {
    gint64 start = g_get_monotonic_time();
    GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_NULL);
    gint64 took = g_get_monotonic_time() - start;
    stopped_ = true;
    fail_unless_equals_int(ret, GST_STATE_CHANGE_SUCCESS);
    fail_unless(took < kPromptStopUs, "setting the pipeline to NULL took %" G_GINT64_FORMAT " us",
                took);
  }

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  GstElement* sink_ = nullptr;
  GstBus* bus_ = nullptr;
  bool stopped_ = false;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char* resource_code_name(int code) {
  GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_ref(GST_TYPE_RESOURCE_ERROR));
  GEnumValue* v = g_enum_get_value(klass, code);
  const char* name = v ? v->value_nick : "?";
  g_type_class_unref(klass);
  return name;
}

// The checks every error case shares.
void check_sink_error(const SinkError& e, GstResourceError code, const std::string& safe_url,
                      std::initializer_list<const char*> must_contain = {}) {
  fail_unless(e.got, "no ERROR from rtmpsink within %d ms", kErrorWaitMs);
  GST_INFO("error: %s (%s)", e.text.c_str(), e.debug.c_str());
  fail_unless(e.domain == GST_RESOURCE_ERROR, "error domain is %s, not GST_RESOURCE_ERROR: %s",
              g_quark_to_string(e.domain), e.text.c_str());
  fail_unless(e.code == code, "error code is %s, expected %s: %s", resource_code_name(e.code),
              resource_code_name(code), e.text.c_str());
  fail_unless(contains(e.text, safe_url), "error text lacks the URL '%s': %s", safe_url.c_str(),
              e.text.c_str());
  for (const char* s : must_contain)
    fail_unless(contains(e.text, s), "error text lacks '%s': %s", s, e.text.c_str());
  fail_if(contains(e.text, kSecret), "the password leaked into the error text: %s", e.text.c_str());
  fail_if(contains(e.debug, kSecret), "the password leaked into the debug string: %s",
          e.debug.c_str());
}

std::string secret_location(uint16_t port, const std::string& path = "app/stream") {
  return "rtmp://user:" + std::string(kSecret) + "@127.0.0.1:" + std::to_string(port) + "/" + path;
}

std::string safe_location(uint16_t port, const std::string& path = "app/stream") {
  return "rtmp://user@127.0.0.1:" + std::to_string(port) + "/" + path;
}

// Runs appsrc ! rtmpsink publishing to `location` and returns the sink's error; the pipeline is
// stopped (and checked to stop promptly) before returning.
SinkError run_until_error(const std::string& location, guint timeout_s) {
  SyntheticFlv flv = make_flv();
  SinkPipeline p(location, timeout_s);
  p.push_flv(flv);
  // ASYNC, or FAILURE when the error comes while starting: the bus tells what happened.
  (void)p.play();
  SinkError e = p.wait_sink_error(kErrorWaitMs);
  p.stop_promptly();
  return e;
}

// A port with nothing listening on it.
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fail_unless(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  fail_unless(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  fail_unless(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs a failing case against a fake server with `handler`, then checks that the server's
// handler finished once the pipeline stopped (the element closed the connection).
// *safe_url receives the location as the error text must show it.
SinkError run_against(FakeRtmpServer::Handler handler, guint timeout_s, std::string* safe_url) {
  FakeRtmpServer server(std::move(handler));
  *safe_url = safe_location(server.port());
  SinkError e = run_until_error(secret_location(server.port()), timeout_s);
  fail_unless(server.accepted() == 1, "the fake server accepted %d connections", server.accepted());
  fail_unless(server.wait_finished(1, 5000), "the fake server's handler did not finish");
  return e;
}

}  // namespace

// 1. Host not found.
GST_START_TEST(test_host_not_found) {
  std::string location = "rtmp://user:" + std::string(kSecret) + "@nonexistent.invalid/live/s";
  SinkError e = run_until_error(location, 10);
  check_sink_error(e, GST_RESOURCE_ERROR_NOT_FOUND, "rtmp://user@nonexistent.invalid/live/s",
                   {"nonexistent.invalid"});
}
GST_END_TEST;

// 2. Connection refused.
GST_START_TEST(test_connection_refused) {
  uint16_t port = free_port();
  SinkError e = run_until_error(secret_location(port), 5);
  check_sink_error(e, GST_RESOURCE_ERROR_OPEN_WRITE, safe_location(port), {"refused"});
}
GST_END_TEST;

// 3a. The server accepts and never answers the handshake.
GST_START_TEST(test_handshake_timeout) {
  std::string url;
  std::atomic<bool> got_bytes{false};
  SinkError e = run_against(
      [&](FakeConnection& c) {
        c.stall_until_closed();
        got_bytes = c.bytes_received() >= 1 + rtmp::kHandshakeSize;
      },
      1, &url);
  check_sink_error(e, GST_RESOURCE_ERROR_OPEN_WRITE, url, {"timed out"});
  fail_unless(got_bytes.load(), "the client did not send C0+C1");
}
GST_END_TEST;

// 3b. The server completes the handshake and never answers connect.
GST_START_TEST(test_connect_timeout) {
  std::string url;
  std::atomic<bool> handshaken{false};
  std::atomic<bool> got_connect{false};
  SinkError e = run_against(
      [&](FakeConnection& c) {
        handshaken = c.handshake(kHandlerTimeoutMs);
        got_connect = c.expect_command("connect", kHandlerTimeoutMs).has_value();
        c.stall_until_closed();
      },
      1, &url);
  check_sink_error(e, GST_RESOURCE_ERROR_OPEN_WRITE, url, {"timed out", "connect"});
  fail_unless(handshaken.load() && got_connect.load());
}
GST_END_TEST;

// 4. The server answers C0/C1 with an HTTP response.
GST_START_TEST(test_handshake_not_rtmp) {
  std::string url;
  std::atomic<bool> got_c0c1{false};
  SinkError e = run_against(
      [&](FakeConnection& c) {
        auto c0c1 = c.read_raw(1 + rtmp::kHandshakeSize, kHandlerTimeoutMs);
        got_c0c1 = c0c1 && (*c0c1)[0] == rtmp::kRtmpVersion;
        static const char kHttp[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
        c.send_raw(rtmp::ByteView(reinterpret_cast<const uint8_t*>(kHttp), sizeof kHttp - 1));
        c.stall_until_closed();
      },
      5, &url);
  // 'H' is 0x48: the message names the byte the server sent instead of 3.
  check_sink_error(e, GST_RESOURCE_ERROR_OPEN_READ_WRITE, url, {"version", "0x48"});
  fail_unless(got_c0c1.load(), "the client did not send a version 3 C0 and a C1");
}
GST_END_TEST;

// 5a. connect rejected (authentication).
GST_START_TEST(test_connect_rejected) {
  std::string url;
  SinkError e = run_against(
      [&](FakeConnection& c) {
        if (!c.handshake(kHandlerTimeoutMs)) return;
        auto connect = c.expect_command("connect", kHandlerTimeoutMs);
        if (!connect) return;
        c.reply_error(connect->transaction_id, "NetConnection.Connect.Rejected",
                      "Authentication failed");
        c.stall_until_closed();
      },
      5, &url);
  check_sink_error(e, GST_RESOURCE_ERROR_NOT_AUTHORIZED, url, {"Authentication failed"});
}
GST_END_TEST;

// 5b. connect to an unknown application.
GST_START_TEST(test_connect_invalid_app) {
  std::string url;
  SinkError e = run_against(
      [&](FakeConnection& c) {
        if (!c.handshake(kHandlerTimeoutMs)) return;
        auto connect = c.expect_command("connect", kHandlerTimeoutMs);
        if (!connect) return;
        c.reply_error(connect->transaction_id, "NetConnection.Connect.InvalidApp",
                      "No such application");
        c.stall_until_closed();
      },
      5, &url);
  check_sink_error(e, GST_RESOURCE_ERROR_NOT_FOUND, url, {"InvalidApp"});
}
GST_END_TEST;

// 6. publish refused with onStatus `code`.
static SinkError run_publish_refused(const char* code, const char* description, std::string* url) {
  std::atomic<bool> got_publish{false};
  SinkError e = run_against(
      [&](FakeConnection& c) {
        if (!c.handshake(kHandlerTimeoutMs) || !c.answer_connect() || !c.answer_create_stream())
          return;
        auto publish = c.expect_command("publish", kHandlerTimeoutMs);
        if (!publish) return;
        got_publish = true;
        c.send_status(1, "error", code, description);
        c.stall_until_closed();
      },
      5, url);
  fail_unless(got_publish.load(), "the client did not send publish");
  return e;
}

GST_START_TEST(test_publish_bad_name) {
  std::string url;
  SinkError e = run_publish_refused("NetStream.Publish.BadName", "Stream already publishing", &url);
  check_sink_error(e, GST_RESOURCE_ERROR_BUSY, url, {"NetStream.Publish.BadName"});
}
GST_END_TEST;

GST_START_TEST(test_publish_denied) {
  std::string url;
  SinkError e = run_publish_refused("NetStream.Publish.Denied", "Publishing not allowed", &url);
  check_sink_error(e, GST_RESOURCE_ERROR_NOT_AUTHORIZED, url, {"NetStream.Publish.Denied"});
}
GST_END_TEST;

// 7. The server accepts the publish, takes a few media messages and goes away.
GST_START_TEST(test_disconnect_mid_stream) {
  std::string url;
  std::atomic<int> media{0};
  SinkError e = run_against(
      [&](FakeConnection& c) {
        if (!c.accept_until_publishing(kHandlerTimeoutMs)) return;
        while (media.load() < 3) {
          auto m = c.read_message(kHandlerTimeoutMs);
          if (!m) return;
          if (m->type == 8 || m->type == 9 || m->type == 18) media++;
        }
        c.close();
      },
      5, &url);
  fail_unless_equals_int(media.load(), 3);
  check_sink_error(e, GST_RESOURCE_ERROR_WRITE, url);
}
GST_END_TEST;

// 8a. A location without a stream name fails at start with SETTINGS.
GST_START_TEST(test_bad_location) {
  std::string location = "rtmp://user:" + std::string(kSecret) + "@127.0.0.1/app";
  SinkPipeline p(location, 5);
  gchar* stored = nullptr;
  g_object_get(p.sink(), "location", &stored, nullptr);
  fail_unless_equals_string(stored, "rtmp://user@127.0.0.1/app");
  g_free(stored);
  fail_unless_equals_int(p.play(), GST_STATE_CHANGE_FAILURE);
  SinkError e = p.wait_sink_error(kErrorWaitMs);
  p.stop_promptly();
  check_sink_error(e, GST_RESOURCE_ERROR_SETTINGS, "rtmp://user@127.0.0.1/app", {"stream"});
}
GST_END_TEST;

// 8b. A non-RTMP location is refused and changes nothing.
GST_START_TEST(test_bad_uri_keeps_location) {
  GstElement* sink = gst_element_factory_make("rtmpsink", nullptr);
  fail_unless(sink != nullptr);
  g_object_set(sink, "location", "rtmp://example.com:1940/app/inst/key", nullptr);
  g_object_set(sink, "location", "http://x/y/z", nullptr);
  gchar* location = nullptr;
  gchar* host = nullptr;
  gint port = 0;
  g_object_get(sink, "location", &location, "host", &host, "port", &port, nullptr);
  fail_unless_equals_string(location, "rtmp://example.com:1940/app/inst/key");
  fail_unless_equals_string(host, "example.com");
  fail_unless_equals_int(port, 1940);
  g_free(location);
  g_free(host);

  GError* error = nullptr;
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(sink), "http://x/y/z", &error));
  fail_unless(error != nullptr);
  fail_unless(error->domain == GST_URI_ERROR);
  g_clear_error(&error);
  // Also a rtmp:// URI the element cannot use at all.
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(sink), "rtmp://", &error));
  fail_unless(error != nullptr);
  g_clear_error(&error);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(sink));
  fail_unless_equals_string(uri, "rtmp://example.com:1940/app/inst/key");
  g_free(uri);
  // And a good one through the URI handler.
  fail_unless(gst_uri_handler_set_uri(GST_URI_HANDLER(sink), "rtmp://h2/a/s", &error));
  fail_unless(error == nullptr);
  g_object_get(sink, "location", &location, nullptr);
  fail_unless_equals_string(location, "rtmp://h2/a/s");
  g_free(location);
  gst_object_unref(sink);
}
GST_END_TEST;

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
  g_object_set(p.sink(), "extra-connect-args", "conn=X:1", nullptr);  // warns, keeps conn=B:1

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

// 10. The factory comes from our plugin file.

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

GST_START_TEST(test_factory_is_ours) {
  const char* expected = g_getenv("RTMP_PLUGIN_FILE");
  fail_unless(expected != nullptr && *expected, "RTMP_PLUGIN_FILE is not set");
  GstElementFactory* factory = gst_element_factory_find("rtmpsink");
  fail_unless(factory != nullptr, "no rtmpsink factory");
  GstPlugin* plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(factory));
  fail_unless(plugin != nullptr);
  const gchar* filename = gst_plugin_get_filename(plugin);
  fail_unless(filename != nullptr);
  gchar* real_expected = realpath(expected, nullptr);
  gchar* real_actual = realpath(filename, nullptr);
  fail_unless(real_expected && real_actual, "cannot resolve %s / %s", expected, filename);
  fail_unless_equals_string(real_actual, real_expected);
  free(real_expected);
  free(real_actual);
  gst_object_unref(plugin);
  gst_object_unref(factory);
}
GST_END_TEST;

// 11. Properties.
namespace {

std::string get_str(GstElement* e, const char* name) {
  gchar* v = nullptr;
  g_object_get(e, name, &v, nullptr);
  std::string s = v ? v : "<null>";
  g_free(v);
  return s;
}

int get_int(GstElement* e, const char* name) {
  gint v = 0;
  g_object_get(e, name, &v, nullptr);
  return v;
}

guint get_uint(GstElement* e, const char* name) {
  guint v = 0;
  g_object_get(e, name, &v, nullptr);
  return v;
}

gboolean get_bool(GstElement* e, const char* name) {
  gboolean v = FALSE;
  g_object_get(e, name, &v, nullptr);
  return v;
}

}  // namespace

GST_START_TEST(test_properties) {
  // Not a GstHarness: it would start the sink, which then connects to the default location.
  GstElement* e = gst_element_factory_make("rtmpsink", nullptr);
  fail_unless(e != nullptr);

  // Defaults.
  assert_str_eq(get_str(e, "location"), "rtmp://localhost/live/myStream");
  assert_str_eq(get_str(e, "host"), "localhost");
  fail_unless_equals_int(get_int(e, "port"), 1935);
  assert_str_eq(get_str(e, "application"), "live");
  assert_str_eq(get_str(e, "stream"), "myStream");
  fail_unless_equals_int(get_uint(e, "timeout"), 10);
  fail_unless_equals_int(get_uint(e, "chunk-size"), 4096);
  fail_unless(get_bool(e, "async-connect"));
  assert_str_eq(get_str(e, "flash-version"), "<null>");

  // Round trips.
  g_object_set(e, "host", "media.example.org", "port", 1940, "application", "app/inst", "stream",
               "key?token=1", "timeout", 3u, "chunk-size", 60000u, "async-connect", FALSE,
               "flash-version", "FMLE/3.0 (test)", nullptr);
  assert_str_eq(get_str(e, "host"), "media.example.org");
  fail_unless_equals_int(get_int(e, "port"), 1940);
  assert_str_eq(get_str(e, "application"), "app/inst");
  assert_str_eq(get_str(e, "stream"), "key?token=1");
  fail_unless_equals_int(get_uint(e, "timeout"), 3);
  fail_unless_equals_int(get_uint(e, "chunk-size"), 60000);
  fail_if(get_bool(e, "async-connect"));
  assert_str_eq(get_str(e, "flash-version"), "FMLE/3.0 (test)");
  assert_str_eq(get_str(e, "location"), "rtmp://media.example.org:1940/app/inst/key?token=1");
  g_object_set(e, "timeout", 0u, "chunk-size", 128u, "async-connect", TRUE, "port", 1935, nullptr);
  fail_unless_equals_int(get_uint(e, "timeout"), 0);
  fail_unless_equals_int(get_uint(e, "chunk-size"), 128);
  fail_unless(get_bool(e, "async-connect"));
  assert_str_eq(get_str(e, "location"), "rtmp://media.example.org/app/inst/key?token=1");

  // location sets host, port, application (up to the last '/') and stream.
  g_object_set(e, "location", "rtmp://h:1936/a/b/c", nullptr);
  assert_str_eq(get_str(e, "host"), "h");
  fail_unless_equals_int(get_int(e, "port"), 1936);
  assert_str_eq(get_str(e, "application"), "a/b");
  assert_str_eq(get_str(e, "stream"), "c");
  assert_str_eq(get_str(e, "location"), "rtmp://h:1936/a/b/c");

  // IPv6 literal.
  g_object_set(e, "location", "rtmp://[::1]:1937/live/x", nullptr);
  assert_str_eq(get_str(e, "host"), "::1");
  fail_unless_equals_int(get_int(e, "port"), 1937);
  assert_str_eq(get_str(e, "application"), "live");
  assert_str_eq(get_str(e, "stream"), "x");
  assert_str_eq(get_str(e, "location"), "rtmp://[::1]:1937/live/x");

  // The password is never returned.
  std::string with_password = "rtmp://user:" + std::string(kSecret) + "@h/app/s";
  g_object_set(e, "location", with_password.c_str(), nullptr);
  std::string location = get_str(e, "location");
  fail_if(contains(location, kSecret), "location returned the password: %s", location.c_str());
  fail_unless_equals_string(location.c_str(), "rtmp://user@h/app/s");
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  fail_if(contains(uri, kSecret), "get_uri returned the password: %s", uri);
  g_free(uri);
  // The URL's user name is the username property; the secrets cannot be read at all.
  assert_str_eq(get_str(e, "username"), "user");
  for (const char* name : {"password", "secure-token"}) {
    GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), name);
    fail_unless(spec != nullptr, "no %s property", name);
    fail_if(spec->flags & G_PARAM_READABLE, "%s is readable", name);
    fail_unless(spec->flags & G_PARAM_WRITABLE, "%s is not writable", name);
  }

  // Credentials, TLS and proxy properties: defaults and round trips.
  g_object_set(e, "location", "rtmp://h/app/s", nullptr);
  assert_str_eq(get_str(e, "username"), "<null>");
  assert_str_eq(get_str(e, "proxy"), "<null>");
  assert_str_eq(get_str(e, "tls-ca-file"), "<null>");
  guint flags = 0;
  gint authmod = -1;
  g_object_get(e, "tls-validation-flags", &flags, "authmod", &authmod, nullptr);
  fail_unless_equals_int(flags, G_TLS_CERTIFICATE_VALIDATE_ALL);
  fail_unless_equals_int(authmod, 0);
  g_object_set(e, "username", "u2", "password", "p2", "secure-token", "t", "proxy",
               "socks5://127.0.0.1:1080", "tls-ca-file", "/tmp/ca.pem", "tls-validation-flags",
               G_TLS_CERTIFICATE_UNKNOWN_CA, nullptr);
  gst_util_set_object_arg(G_OBJECT(e), "authmod", "adobe");
  assert_str_eq(get_str(e, "username"), "u2");
  assert_str_eq(get_str(e, "proxy"), "socks5://127.0.0.1:1080");
  assert_str_eq(get_str(e, "tls-ca-file"), "/tmp/ca.pem");
  g_object_get(e, "tls-validation-flags", &flags, "authmod", &authmod, nullptr);
  fail_unless_equals_int(flags, G_TLS_CERTIFICATE_UNKNOWN_CA);
  fail_unless_equals_int(authmod, 2);
  fail_if(contains(get_str(e, "location"), "p2"), "location shows the password property");

  // Every scheme, with its default port.
  const struct {
    const char* in;
    int port;
    const char* out;
  } schemes[] = {{"rtmps://h/a/s", 443, "rtmps://h/a/s"},
                 {"rtmpt://h/a/s", 80, "rtmpt://h/a/s"},
                 {"rtmpts://h:8443/a/s", 8443, "rtmpts://h:8443/a/s"},
                 {"RTMP://h/a/s", 1935, "rtmp://h/a/s"}};
  for (const auto& c : schemes) {
    GError* error = nullptr;
    fail_unless(gst_uri_handler_set_uri(GST_URI_HANDLER(e), c.in, &error), "%s refused", c.in);
    fail_unless_equals_int(get_int(e, "port"), c.port);
    assert_str_eq(get_str(e, "location"), c.out);
  }
  const gchar* const* protocols = gst_uri_handler_get_protocols(GST_URI_HANDLER(e));
  std::string all;
  for (size_t i = 0; protocols && protocols[i]; i++) all += std::string(protocols[i]) + " ";
  assert_str_eq(all, "rtmp rtmps rtmpt rtmpts ");

  gst_object_unref(e);
}
GST_END_TEST;

// 12. Stopping while the session is busy (connecting, or publishing without EOS) returns promptly
// and closes the connection.
namespace {

bool wait_until(const std::function<bool()>& condition, int timeout_ms) {
  gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
  while (!condition()) {
    if (g_get_monotonic_time() >= deadline) return false;
    g_usleep(10 * 1000);
  }
  return true;
}

}  // namespace

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
  TCase* errors = tcase_create("errors");
  suite_add_tcase(s, errors);
  tcase_add_test(errors, test_host_not_found);
  tcase_add_test(errors, test_connection_refused);
  tcase_add_test(errors, test_handshake_timeout);
  tcase_add_test(errors, test_connect_timeout);
  tcase_add_test(errors, test_handshake_not_rtmp);
  tcase_add_test(errors, test_connect_rejected);
  tcase_add_test(errors, test_connect_invalid_app);
  tcase_add_test(errors, test_publish_bad_name);
  tcase_add_test(errors, test_publish_denied);
  tcase_add_test(errors, test_disconnect_mid_stream);
  tcase_add_test(errors, test_bad_location);
  tcase_add_test(errors, test_bad_uri_keeps_location);

  TCase* publish = tcase_create("publish");
  suite_add_tcase(s, publish);
  tcase_add_test(publish, test_publish_success);
  tcase_add_test(publish, test_librtmp_style_location);
  tcase_add_test(publish, test_stop_while_connecting);
  tcase_add_test(publish, test_stop_while_publishing);
  tcase_add_test(publish, test_stop_during_eos);
  tcase_add_test(publish, test_state_messages);

  TCase* general = tcase_create("general");
  suite_add_tcase(s, general);
  tcase_add_test(general, test_factory_is_ours);
  tcase_add_test(general, test_properties);
  return s;
}

GST_CHECK_MAIN(rtmpsink)
