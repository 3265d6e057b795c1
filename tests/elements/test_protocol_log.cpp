// Protocol logging into the element's debug category: every command sent and every reply and
// status received, control messages at DEBUG, media at LOG, bytes at TRACE; never the password.
#include <mutex>
#include <string>
#include <vector>

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "sink_test_support.hpp"

namespace {

struct Line {
  GstDebugLevel level;
  std::string text;
};

std::mutex g_mutex;
std::vector<Line> g_lines;

void collect(GstDebugCategory* category, GstDebugLevel level, const gchar*, const gchar*, gint,
             GObject*, GstDebugMessage* message, gpointer) {
  if (g_strcmp0(gst_debug_category_get_name(category), "rtmpsink") != 0) return;
  std::lock_guard lock(g_mutex);
  g_lines.push_back(Line{level, gst_debug_message_get(message)});
}

// The first line containing `needle`, or nullptr.
const Line* find_line(const std::string& needle) {
  for (const auto& l : g_lines)
    if (contains(l.text, needle)) return &l;
  return nullptr;
}

void expect_line(const std::string& needle, GstDebugLevel level) {
  const Line* l = find_line(needle);
  fail_unless(l != nullptr, "no log line with '%s'", needle.c_str());
  fail_unless(l->level == level, "'%s' logged at %s, expected %s", l->text.c_str(),
              gst_debug_level_get_name(l->level), gst_debug_level_get_name(level));
}

}  // namespace

GST_START_TEST(test_publish_is_logged_without_secrets) {
  gst_debug_set_threshold_for_name("rtmpsink", GST_LEVEL_TRACE);
  gst_debug_add_log_function(collect, nullptr, nullptr);
  SyntheticFlv flv = make_flv();
  FakeRtmpServer server([&](FakeConnection& c) {
    if (c.accept_until_publishing(kHandlerTimeoutMs)) c.read_until_closed(20000);
  });
  SinkPipeline p(secret_location(server.port()), 5);
  p.push_flv(flv);
  p.end_of_stream();
  fail_if(p.play() == GST_STATE_CHANGE_FAILURE);
  SinkError error;
  fail_unless(p.wait_eos(20000, &error), "no EOS: %s", error.text.c_str());
  p.stop_promptly();
  gst_debug_remove_log_function(collect);

  std::lock_guard lock(g_mutex);
  expect_line("connecting to server 127.0.0.1:", GST_LEVEL_INFO);
  expect_line("transport ready: tcp", GST_LEVEL_INFO);
  expect_line("handshake done", GST_LEVEL_DEBUG);
  expect_line("sent Set Chunk Size 4096", GST_LEVEL_DEBUG);
  expect_line("sent connect #1 {\"app\":\"app\"", GST_LEVEL_INFO);
  expect_line("sent releaseStream #2", GST_LEVEL_INFO);
  expect_line("sent createStream #4", GST_LEVEL_INFO);
  expect_line("received _result #1 NetConnection.Connect.Success (status)", GST_LEVEL_INFO);
  expect_line("sent publish #0", GST_LEVEL_INFO);
  expect_line("received onStatus #0 NetStream.Publish.Start (status)", GST_LEVEL_INFO);
  expect_line("sent FCUnpublish", GST_LEVEL_INFO);
  expect_line("sent deleteStream", GST_LEVEL_INFO);
  expect_line("sent video ", GST_LEVEL_LOG);
  expect_line("sent audio ", GST_LEVEL_LOG);
  expect_line(" bytes, ", GST_LEVEL_TRACE);  // bytes handed to the socket
  expect_line("received ", GST_LEVEL_TRACE);
  for (const auto& l : g_lines)
    fail_if(contains(l.text, kSecret), "the password is in the log: %s", l.text.c_str());
}
GST_END_TEST;

static Suite* protocol_log_suite() {
  Suite* s = suite_create("protocol-log");
  TCase* tc = tcase_create("log");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_publish_is_logged_without_secrets);
  return s;
}

GST_CHECK_MAIN(protocol_log)
