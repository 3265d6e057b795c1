// Element tests for rtmpsrc, output format and timestamps: the FLV header's flags, one tag per
// buffer, PTS of a live stream (also across a 32-bit timestamp wrap), aggregate messages and data
// message wrappers, played from the scripted fake server (see src_test_support.hpp).

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "src_test_support.hpp"

// ---------------------------------------------------------------------------------------------
// 1. Output format: the header's flags from the first message, then one tag per buffer.

static void run_header_case(const char* what, std::vector<rtmp::Message> sent, uint8_t flags) {
  GST_INFO("header case: %s", what);
  Script s;
  s.messages = sent;
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, sent, flags);
}

GST_START_TEST(test_header_audio_only_metadata) {
  run_header_case("audio-only onMetaData",
                  {msg(kData, 0, on_metadata(meta_audio_only())), msg(kAudio, 0, audio(100, 1)),
                   msg(kAudio, 23, audio(110, 2))},
                  kFlagAudio);
}
GST_END_TEST;

GST_START_TEST(test_header_video_only_metadata) {
  run_header_case("video-only onMetaData",
                  {msg(kData, 0, on_metadata(meta_video_only())),
                   msg(kVideo, 0, video(500, 1, true)), msg(kVideo, 33, video(200, 2))},
                  kFlagVideo);
}
GST_END_TEST;

GST_START_TEST(test_header_both_metadata) {
  run_header_case("audio+video onMetaData",
                  {msg(kData, 0, on_metadata(meta_both())), msg(kVideo, 0, video(500, 1, true)),
                   msg(kAudio, 0, audio(100, 2)), msg(kVideo, 33, video(9000, 3))},
                  kFlagAudio | kFlagVideo);
}
GST_END_TEST;

GST_START_TEST(test_header_media_first) {
  run_header_case("media first, no metadata",
                  {msg(kAudio, 0, audio(100, 1)), msg(kVideo, 0, video(300, 2, true)),
                   msg(kData, 10, on_metadata(meta_audio_only()))},
                  kFlagAudio | kFlagVideo);
}
GST_END_TEST;

// 2. Timestamps of a live stream: PTS relative to the first message; across a 32-bit wrap the
// PTS keep increasing while the tag keeps the 32-bit value.
GST_START_TEST(test_live_timestamps) {
  Script s;
  s.messages = {msg(kVideo, 1000, video(100, 1, true)), msg(kAudio, 1040, audio(50, 2)),
                msg(kVideo, 1100, video(120, 3))};
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);
  check_pts(r.buffers[1], 0, 1);
  check_pts(r.buffers[2], 40 * GST_MSECOND, 2);
  check_pts(r.buffers[3], 100 * GST_MSECOND, 3);
}
GST_END_TEST;

GST_START_TEST(test_timestamp_wrap) {
  Script s;
  // Extended timestamps (>= 0xFFFFFF) on the wire; the fake server's chunk writer sends the
  // wrap itself as a type 0 header with the new, small absolute timestamp.
  s.messages = {msg(kVideo, 0xFFFFFF00u, video(100, 1, true)),
                msg(kVideo, 0xFFFFFFF0u, video(100, 2)), msg(kVideo, 0x00000010u, video(100, 3)),
                msg(kVideo, 0x00000030u, video(100, 4))};
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);  // the tags hold the 32-bit values
  // 0xFFFFFFF0 - 0xFFFFFF00 = 0xF0; 2^32 + 0x10 - 0xFFFFFF00 = 0x110; 2^32 + 0x30 - ... = 0x130.
  check_pts(r.buffers[1], 0, 1);
  check_pts(r.buffers[2], 240 * GST_MSECOND, 2);
  check_pts(r.buffers[3], 272 * GST_MSECOND, 3);
  check_pts(r.buffers[4], 304 * GST_MSECOND, 4);
}
GST_END_TEST;

// 3. An aggregate message becomes one tag per sub-message, timestamps rebased on the aggregate's.
namespace {

void put_sub(rtmp::Bytes& out, uint8_t type, uint32_t ts, const rtmp::Bytes& data) {
  size_t start = out.size();
  rtmp::put_u8(out, type);
  rtmp::put_u24be(out, static_cast<uint32_t>(data.size()));
  rtmp::put_u24be(out, ts & 0xFFFFFF);
  rtmp::put_u8(out, static_cast<uint8_t>(ts >> 24));
  rtmp::put_u24be(out, 1);  // sub-message stream id
  out.insert(out.end(), data.begin(), data.end());
  rtmp::put_u32be(out, static_cast<uint32_t>(out.size() - start));  // back pointer
}

}  // namespace

GST_START_TEST(test_aggregate) {
  // Sub-timestamps T, T+20, T+40 with T using the extended byte; aggregate timestamp A.
  const uint32_t T = 0x01000010u;
  const uint32_t A = 5000;
  rtmp::Bytes v1 = video(700, 1, true), a1 = audio(90, 2), v2 = video(300, 3);
  rtmp::Bytes agg;
  put_sub(agg, kVideo, T, v1);
  put_sub(agg, kAudio, T + 20, a1);
  put_sub(agg, kVideo, T + 40, v2);
  Script s;
  s.messages = {msg(kAggregate, A, agg), msg(kAudio, A + 60, audio(80, 4))};
  // What one read brought goes downstream as one buffer list: the aggregate's three messages
  // arrive together, with the FLV header in front.
  std::vector<guint> list_sizes;
  PlayResult r = run_play(s, [&](SrcPipeline& p) {
    GstPad* pad = gst_element_get_static_pad(p.src(), "src");
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER_LIST,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
          static_cast<std::vector<guint>*>(data)->push_back(
              gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info)));
          return GST_PAD_PROBE_OK;
        },
        &list_sizes, nullptr);
    gst_object_unref(pad);
  });
  check_clean_eos(r);
  fail_unless(!list_sizes.empty() && list_sizes[0] >= 4,
              "expected the header and the aggregate's messages in the first buffer list");
  std::vector<rtmp::Message> expected = {msg(kVideo, A, v1), msg(kAudio, A + 20, a1),
                                         msg(kVideo, A + 40, v2), s.messages[1]};
  check_output(r, expected, kFlagAudio | kFlagVideo);
  for (size_t i = 1; i < r.buffers.size(); i++)
    check_pts(r.buffers[i], (i - 1) * 20 * GST_MSECOND, i);
}
GST_END_TEST;

// 4. Data messages: |RtmpSampleAccess is dropped, @setDataFrame is unwrapped, onMetaData passes.
GST_START_TEST(test_data_messages) {
  Value md1 = meta_both(12.5);
  Value md2 = Value::EcmaArray({{"duration", Value::Number(12.5)},
                                {"videocodecid", Value::Number(7)},
                                {"audiocodecid", Value::Number(10)},
                                {"server", Value::String("fake")}});
  Script s;
  s.messages = {
      msg(kData, 0,
          amf_values(
              {Value::String("|RtmpSampleAccess"), Value::Boolean(false), Value::Boolean(false)})),
      msg(kData, 0, amf_values({Value::String("@setDataFrame"), Value::String("onMetaData"), md1})),
      msg(kData, 0, on_metadata(md2)),
      msg(kVideo, 0, video(400, 1, true)),
  };
  PlayResult r = run_play(s);
  check_clean_eos(r);
  std::vector<rtmp::Message> expected = {msg(kData, 0, on_metadata(md1)),
                                         msg(kData, 0, on_metadata(md2)), s.messages[3]};
  check_output(r, expected, kFlagAudio | kFlagVideo);
}
GST_END_TEST;

// A live rtmpsrc reports its batch-latency (received data may wait that long to be read) on top
// of basesrc's latency, so a live pipeline leaves room for it.
GST_START_TEST(test_latency_includes_batch_latency) {
  GstElement* src = gst_element_factory_make("rtmpsrc", nullptr);
  fail_unless(src != nullptr);
  for (guint ms : {40u, 0u, 120u}) {
    if (ms != 40u) g_object_set(src, "batch-latency", ms, nullptr);
    GstQuery* q = gst_query_new_latency();
    fail_unless(gst_element_query(src, q), "no answer to the latency query");
    gboolean live = FALSE;
    GstClockTime min = 0, max = 0;
    gst_query_parse_latency(q, &live, &min, &max);
    fail_unless(live);
    fail_unless_equals_uint64(min, ms * GST_MSECOND);
    gst_query_unref(q);
  }
  gst_object_unref(src);
}
GST_END_TEST;

GST_START_TEST(test_factory_is_ours) {
  const char* expected = g_getenv("RTMP_PLUGIN_FILE");
  fail_unless(expected != nullptr && *expected, "RTMP_PLUGIN_FILE is not set");
  GstElementFactory* factory = gst_element_factory_find("rtmpsrc");
  fail_unless(factory != nullptr, "no rtmpsrc factory");
  GstPlugin* plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(factory));
  fail_unless(plugin != nullptr);
  gchar* real_expected = realpath(expected, nullptr);
  gchar* real_actual = realpath(gst_plugin_get_filename(plugin), nullptr);
  fail_unless(real_expected && real_actual, "cannot resolve the plugin file names");
  fail_unless_equals_string(real_actual, real_expected);
  free(real_expected);
  free(real_actual);
  gst_object_unref(plugin);
  gst_object_unref(factory);
}
GST_END_TEST;

static Suite* rtmpsrc_suite() {
  Suite* s = suite_create("rtmpsrc");
  TCase* format = tcase_create("format");
  suite_add_tcase(s, format);
  tcase_add_test(format, test_factory_is_ours);
  tcase_add_test(format, test_latency_includes_batch_latency);
  tcase_add_test(format, test_header_audio_only_metadata);
  tcase_add_test(format, test_header_video_only_metadata);
  tcase_add_test(format, test_header_both_metadata);
  tcase_add_test(format, test_header_media_first);
  tcase_add_test(format, test_live_timestamps);
  tcase_add_test(format, test_timestamp_wrap);
  tcase_add_test(format, test_aggregate);
  tcase_add_test(format, test_data_messages);
  return s;
}

GST_CHECK_MAIN(rtmpsrc)
