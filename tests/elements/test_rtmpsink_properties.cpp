// Element tests for rtmpsink, the element itself: the factory comes from the plugin in the build
// tree, and the properties (defaults, round trips, location parsing, secrets never readable).
#include <atomic>
#include <cstdlib>

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include <gio/gio.h>
#include "sink_test_support.hpp"

// 10. The factory comes from our plugin file.

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
  assert_str_eq(get_str(e, "flash-version"), "FMLE/3.0 (compatible; GstRtmpNative)");
  fail_unless_equals_int(get_uint(e, "batch-latency"), 40);

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
  g_object_set(e, "batch-latency", 0u, nullptr);
  fail_unless_equals_int(get_uint(e, "batch-latency"), 0);
  g_object_set(e, "batch-latency", 250u, nullptr);
  fail_unless_equals_int(get_uint(e, "batch-latency"), 250);
  GParamSpecUInt* spec =
      G_PARAM_SPEC_UINT(g_object_class_find_property(G_OBJECT_GET_CLASS(e), "batch-latency"));
  fail_unless_equals_int(spec->maximum, 1000);

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
  fail_unless_equals_int(authmod, 1);  // auto, rtmp2's number
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
  // The scheme property: a default port follows the scheme, an explicit one stays.
  g_object_set(e, "location", "rtmp://h/a/s", nullptr);
  gst_util_set_object_arg(G_OBJECT(e), "scheme", "rtmps");
  fail_unless_equals_int(get_int(e, "port"), 443);
  assert_str_eq(get_str(e, "location"), "rtmps://h/a/s");
  g_object_set(e, "port", 8443, nullptr);
  gst_util_set_object_arg(G_OBJECT(e), "scheme", "rtmpt");
  fail_unless_equals_int(get_int(e, "port"), 8443);
  assert_str_eq(get_str(e, "location"), "rtmpt://h:8443/a/s");
  // flash-version: NULL restores the default.
  g_object_set(e, "flash-version", nullptr, nullptr);
  assert_str_eq(get_str(e, "flash-version"), "FMLE/3.0 (compatible; GstRtmpNative)");
  // stop-commands (rtmp2sink's flags).
  guint stop = 0;
  g_object_get(e, "stop-commands", &stop, nullptr);
  fail_unless_equals_int(stop, 5);  // fcunpublish + deletestream
  gst_util_set_object_arg(G_OBJECT(e), "stop-commands", "closestream+deletestream");
  g_object_get(e, "stop-commands", &stop, nullptr);
  fail_unless_equals_int(stop, 6);

  const gchar* const* protocols = gst_uri_handler_get_protocols(GST_URI_HANDLER(e));
  std::string all;
  for (size_t i = 0; protocols && protocols[i]; i++) all += std::string(protocols[i]) + " ";
  assert_str_eq(all, "rtmp rtmps rtmpt rtmpts ");

  gst_object_unref(e);
}
GST_END_TEST;

// The latency bound is for live publishing (sync=true). With sync=false, setting max-latency
// while playing must not turn it on: a server that stops reading makes the sink wait, and no
// frame is dropped, however much is queued.
GST_START_TEST(test_max_latency_set_while_playing_without_sync) {
  std::atomic<bool> publishing{false};
  std::atomic<bool> read_again{false};
  FakeRtmpServer server(
      [&](FakeConnection& c) {
        publishing = c.accept_until_publishing(kHandlerTimeoutMs);
        // Reads nothing until the test is done (at most 30 s): the media waits.
        for (int i = 0; i < 3000 && !read_again.load(); i++) g_usleep(10 * 1000);
        c.stall_until_closed();
      },
      64 * 1024);  // and holds little in its socket, so the media waits with the client
  SinkPipeline p(secret_location(server.port()), 30);
  g_object_set(p.sink(), "sync", FALSE, nullptr);
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  fail_unless(wait_until([&] { return publishing.load(); }, 5000), "not publishing");
  g_object_set(p.sink(), "max-latency", 1u, nullptr);
  p.push_flv(make_video_flv(600, 20000));  // 20 s of media, 12 MB: more than the kernel holds
  GstStructure* stats = nullptr;
  fail_unless(wait_until(
                  [&] {
                    if (stats) gst_structure_free(stats);
                    g_object_get(p.sink(), "stats", &stats, nullptr);
                    guint queued_ms = 0;
                    gst_structure_get_uint(stats, "queued-ms", &queued_ms);
                    return queued_ms > 2000;
                  },
                  10000),
              "the sink did not queue media behind the stalled server: %s",
              gst_structure_to_string(stats));
  guint64 dropped = 1;
  fail_unless(gst_structure_get_uint64(stats, "frames-dropped", &dropped));
  fail_unless_equals_uint64(dropped, 0);
  gst_structure_free(stats);
  read_again = true;
  p.stop_promptly();
}
GST_END_TEST;

static Suite* rtmpsink_suite() {
  Suite* s = suite_create("rtmpsink");
  TCase* general = tcase_create("general");
  suite_add_tcase(s, general);
  tcase_add_test(general, test_factory_is_ours);
  tcase_add_test(general, test_properties);
  tcase_add_test(general, test_max_latency_set_while_playing_without_sync);
  return s;
}

GST_CHECK_MAIN(rtmpsink)
