// rtmpsink with Adobe authentication against a scripted server: the credentials from the
// location are answered, and the password shows nowhere: not in GST_DEBUG output (every rtmp
// category at the highest level, everything else at TRACE), bus messages, errors or stats.
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fake_server.hpp"
#include "hash/md5.hpp"
#include "rtmp/amf0.hpp"
#include "util/base64.hpp"

// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

namespace {

using rtmp::amf0::Value;

constexpr const char* kUser = "bob";
constexpr const char* kPassword = "Zq7-unique-Pa55w0rd";

// Everything the test can see of the element, as text.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> texts;
  void add(std::string s) {
    std::lock_guard lock(mutex);
    texts.push_back(std::move(s));
  }
  size_t leaks() {
    std::lock_guard lock(mutex);
    return std::count_if(texts.begin(), texts.end(), [](const std::string& t) {
      return t.find(kPassword) != std::string::npos;
    });
  }
};

// GStreamer's own log function writes every debug message to GST_DEBUG_FILE (set by meson):
// adding a log function of ours would leak GStreamer's list node under valgrind.
std::string debug_log() {
  const char* path = g_getenv("GST_DEBUG_FILE");
  fail_unless(path != nullptr, "GST_DEBUG_FILE is not set");
  gchar* contents = nullptr;
  gsize length = 0;
  fail_unless(g_file_get_contents(path, &contents, &length, nullptr), "cannot read %s", path);
  std::string text(contents, length);
  g_free(contents);
  return text;
}

GstBusSyncReply capture_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* seen = static_cast<Seen*>(data);
  if (const GstStructure* s = gst_message_get_structure(msg)) {
    gchar* text = gst_structure_to_string(s);
    seen->add(text);
    g_free(text);
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    seen->add(std::string("ERROR ") + err->message);
    seen->add(debug ? debug : "");
    g_error_free(err);
    g_free(debug);
  }
  return GST_BUS_PASS;
}

std::map<std::string, std::string> query_of(const std::string& app) {
  std::map<std::string, std::string> q;
  size_t at = app.find('?');
  if (at == std::string::npos) return q;
  std::string rest = app.substr(at + 1) + "&";
  for (size_t pos = 0, amp; (amp = rest.find('&', pos)) != std::string::npos; pos = amp + 1) {
    std::string pair = rest.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) q[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return q;
}

std::string b64md5(const std::string& s) {
  return rtmp::base64_encode(rtmp::md5(std::string_view(s)));
}

// Adobe server: need auth, then a challenge, then checks the response against `password`.
void adobe_server(FakeConnection& c, const std::string& password) {
  if (!c.handshake()) return;
  auto connect = c.expect_command("connect", 5000);
  if (!connect) return;
  auto q = query_of(connect->command_object.get_string("app").value_or(""));
  const std::string head = "[ AccessManager.Reject ] : [ authmod=adobe ] : ";
  if (!q.count("authmod")) {
    c.reply_error(connect->transaction_id, "NetConnection.Connect.Rejected",
                  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ");
  } else if (!q.count("response")) {
    c.reply_error(connect->transaction_id, "NetConnection.Connect.Rejected",
                  head + "?reason=needauth&user=bob&salt=U2FsdA==&challenge=Q2g=&opaque=T3A=");
  } else if (q["response"] ==
             b64md5(b64md5(kUser + std::string("U2FsdA==") + password) + "T3A=" + q["challenge"])) {
    c.send_command("_result", connect->transaction_id, Value::Null(),
                   {Value::Object({{"code", Value::String("NetConnection.Connect.Success")}})});
    if (c.answer_create_stream() && c.accept_publish()) c.read_until_closed(20000);
    return;
  } else {
    c.reply_error(connect->transaction_id, "NetConnection.Connect.Rejected",
                  head + "?reason=authfailed&opaque=T3A=");
  }
  c.read_until_closed(5000);
}

// FLV header and one AAC sequence header tag.
GstBuffer* flv_bytes() {
  static const guint8 data[] = {'F',  'L',  'V',  1,    4, 0, 0, 0, 9, 0, 0, 0, 0,  // header
                                8,    0,    0,    4,    0, 0, 0, 0, 0, 0, 0,        // tag
                                0xaf, 0x00, 0x12, 0x10, 0, 0, 0, 15};               // AAC
  return gst_buffer_new_memdup(data, sizeof data);
}

struct Outcome {
  bool eos = false;
  std::string error;
};

// Publishes through appsrc ! rtmpsink to a server checking `server_password`, with every
// debug category on and every bus message recorded.
Outcome publish(const std::string& server_password, Seen& seen) {
  FakeRtmpServer server([&](FakeConnection& c) { adobe_server(c, server_password); });
  gst_debug_set_threshold_from_string("*:7,rtmp*:9", TRUE);

  std::string location = "rtmp://" + std::string(kUser) + ":" + kPassword +
                         "@127.0.0.1:" + std::to_string(server.port()) + "/app/stream";
  GstElement* pipeline = gst_parse_launch(
      "appsrc name=src caps=video/x-flv format=bytes ! rtmpsink name=sink timeout=5", nullptr);
  fail_unless(pipeline != nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(sink, "location", location.c_str(), nullptr);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, capture_bus, &seen, nullptr);
  gst_app_src_push_buffer(GST_APP_SRC(src), flv_bytes());
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  Outcome out;
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) out.eos = true;
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    out.error = err->message;
    fail_unless(err->domain == GST_RESOURCE_ERROR && err->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED,
                "not NOT_AUTHORIZED: %s", err->message);
    g_error_free(err);
  }
  if (msg) gst_message_unref(msg);
  GstStructure* stats = nullptr;
  g_object_get(sink, "stats", &stats, nullptr);
  if (stats) {
    gchar* text = gst_structure_to_string(stats);
    seen.add(text);
    g_free(text);
    gst_structure_free(stats);
  }
  gchar* read_back = nullptr;
  g_object_get(sink, "location", &read_back, nullptr);
  seen.add(read_back ? read_back : "");
  g_free(read_back);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipeline);

  gst_debug_set_threshold_from_string("*:0", TRUE);
  std::string log = debug_log();
  fail_unless(log.find("rtmpsink") != std::string::npos, "no rtmpsink debug output captured");
  seen.add(std::move(log));
  return out;
}

}  // namespace

GST_START_TEST(test_adobe_publish_without_leaking_the_password) {
  Seen seen;
  Outcome out = publish(kPassword, seen);
  fail_unless(out.eos, "no EOS: %s", out.error.c_str());
  fail_unless(seen.leaks() == 0, "the password appeared %zu times", seen.leaks());
}
GST_END_TEST

GST_START_TEST(test_adobe_wrong_password_is_not_authorized) {
  Seen seen;
  Outcome out = publish("another-password", seen);
  fail_if(out.eos);
  fail_unless(out.error.find("reason=authfailed") != std::string::npos, "error: %s",
              out.error.c_str());
  fail_unless(seen.leaks() == 0, "the password appeared %zu times", seen.leaks());
}
GST_END_TEST

static Suite* rtmpauth_suite() {
  Suite* s = suite_create("rtmpauth");
  TCase* tc = tcase_create("auth");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_adobe_publish_without_leaking_the_password);
  tcase_add_test(tc, test_adobe_wrong_password_is_not_authorized);
  return s;
}

GST_CHECK_MAIN(rtmpauth)
