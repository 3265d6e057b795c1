// Element tests for rtmpsink, error reporting: every way connecting and publishing can fail
// (name resolution, refused connection, timeouts, a peer that is no RTMP server, refused connect
// and publish, a dropped connection, bad locations), each one RESOURCE error with the URL and
// without the password, against scripted fake servers (see sink_test_support.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <initializer_list>

#include "rtmp/handshake.hpp"

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "sink_test_support.hpp"

namespace {

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
  // ... but it would not start with it (test_unusable_location_never_falls_back).

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

// 8c. A location that does not parse (or a librtmp option that is neither supported nor
// knowingly accepted) fails start() with one SETTINGS error quoting it; the element never falls
// back to its earlier location, even when it is reused (a server listens there and must see no
// connection at all).
GST_START_TEST(test_unusable_location_never_falls_back) {
  FakeRtmpServer server([](FakeConnection& c) { c.accept_until_publishing(2000); });
  const std::string good = "rtmp://127.0.0.1:" + std::to_string(server.port()) + "/app/s";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rtmp:/127.0.0.1/live/x", "missing scheme"},
      {"http://127.0.0.1/live/x", "unknown scheme"},
      {"rtmp://127.0.0.1:65536/live/x", "above 65535"},
      {good + " buffer=3000 bogus=1", "unknown option 'bogus'"},
      {good + " playlist=1", "librtmp option 'playlist' is not supported"},
      {"rtmp://user:" + std::string(kSecret) + "@127.0.0.1:99999/app/s", "above 65535"},
  };
  for (const auto& [location, why] : cases) {
    SinkPipeline p(good, 5);
    g_object_set(p.sink(), "location", location.c_str(), nullptr);
    fail_unless_equals_int(p.play(), GST_STATE_CHANGE_FAILURE);
    SinkError e = p.wait_sink_error(kErrorWaitMs);
    p.stop_promptly();
    std::string quoted = location.substr(0, location.find(kSecret) == std::string::npos
                                                ? location.size()
                                                : location.find("user:") + 4);
    check_sink_error(e, GST_RESOURCE_ERROR_SETTINGS, quoted,
                     {why.c_str(), "Invalid RTMP location"});
    fail_if(p.wait_sink_error(200).got, "a second ERROR for one failure");
  }
  fail_unless_equals_int(server.accepted(), 0);
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
  tcase_add_test(errors, test_unusable_location_never_falls_back);
  return s;
}

GST_CHECK_MAIN(rtmpsink)
