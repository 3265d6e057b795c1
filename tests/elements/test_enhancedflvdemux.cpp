// Element tests for enhancedflvdemux: caps of every codec from synthetic tags (written with the
// core's tag writer), multitrack pads, timestamps with composition time, DISCONT, a caps change
// on a new sequence start, no-more-pads, parity with flvdemux's caps on legacy input, the
// typefinder, and which demuxer decodebin would pick for which caps.
#include <gst/base/gsttypefindhelper.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../unit/tag_vectors.hpp"
#include "element_test_support.hpp"
#include "flv/flv_writer.hpp"
#include "flv/tag_writer.hpp"
// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

namespace {

using rtmp::Bytes;
using rtmp::Codec;
using rtmp::MediaTag;
using rtmp::MediaType;
using rtmp::PacketKind;
using rtmp::TrackFrame;
namespace fcc = rtmp::fourcc;

struct BufferSeen {
  GstClockTime pts;
  GstClockTime dts;
  bool delta;
  bool discont;
  size_t size;
};

struct PadSeen {
  std::vector<std::string> caps;
  std::vector<BufferSeen> buffers;
};

struct Run {
  std::mutex lock;
  std::map<std::string, PadSeen> pads;
  int no_more_pads = 0;
  GstElement* pipeline = nullptr;
};

GstPadProbeReturn on_data(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* run = static_cast<Run*>(data);
  std::lock_guard<std::mutex> g(run->lock);
  PadSeen& seen = run->pads[probed_pad_name(pad)];
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    seen.buffers.push_back({GST_BUFFER_PTS(b), GST_BUFFER_DTS(b),
                            GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT) != 0,
                            GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT) != 0,
                            gst_buffer_get_size(b)});
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    seen.caps.push_back(caps_event_string(GST_PAD_PROBE_INFO_EVENT(info)));
  }
  return GST_PAD_PROBE_OK;
}

void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto* run = static_cast<Run*>(data);
  fail_unless(link_probed_fakesink(GST_BIN(run->pipeline), pad, on_data, run));
}

void on_no_more_pads(GstElement*, gpointer data) {
  auto* run = static_cast<Run*>(data);
  std::lock_guard<std::mutex> g(run->lock);
  ++run->no_more_pads;
}

// Runs appsrc ! `demuxer` over `flv`, pushed in pieces cut at `cuts` (a piece starting at a cut
// in `discont_cuts` is flagged DISCONT), to EOS.
void run_demuxer(Run& run, const Bytes& flv, const char* demuxer, std::vector<size_t> cuts = {},
                 std::vector<size_t> discont_cuts = {}) {
  run.pipeline = gst_pipeline_new(nullptr);
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstElement* demux = gst_element_factory_make(demuxer, nullptr);
  fail_unless(src && demux, "no %s", demuxer);
  GstCaps* caps = gst_caps_from_string("video/x-flv, enhanced=(boolean)true");
  g_object_set(src, "caps", caps, "format", GST_FORMAT_BYTES, nullptr);
  gst_caps_unref(caps);
  gst_bin_add_many(GST_BIN(run.pipeline), src, demux, nullptr);
  fail_unless(gst_element_link(src, demux));
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_pad_added), &run);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(on_no_more_pads), &run);
  gst_element_set_state(run.pipeline, GST_STATE_PLAYING);
  cuts.push_back(flv.size());
  size_t from = 0;
  for (size_t cut : cuts) {
    GstBuffer* b = gst_buffer_new_memdup(flv.data() + from, cut - from);
    if (std::find(discont_cuts.begin(), discont_cuts.end(), from) != discont_cuts.end())
      GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
    fail_unless(gst_app_src_push_buffer(GST_APP_SRC(src), b) == GST_FLOW_OK);
    from = cut;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  GstBus* bus = gst_element_get_bus(run.pipeline);
  GstMessage* m = gst_bus_timed_pop_filtered(
      bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr, "no EOS");
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    fail("error: %s", err->message);
  }
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(run.pipeline, GST_STATE_NULL);
  gst_object_unref(run.pipeline);
}

// --- building the input ---

TrackFrame frame(Codec c, PacketKind k, rtmp::ByteView payload, uint8_t ft = 1, int32_t cts = 0,
                 uint8_t track = 0) {
  TrackFrame f;
  f.codec = c;
  f.kind = k;
  f.payload = payload;
  f.frame_type = ft;
  f.composition_time = cts;
  f.track_id = track;
  return f;
}

struct Flv {
  Bytes out;
  explicit Flv(bool audio = true, bool video = true) { rtmp::write_flv_header(audio, video, out); }
  Flv& tag(MediaType media, std::vector<TrackFrame> frames, uint32_t ts, uint8_t flags = 0,
           rtmp::Multitrack mt = rtmp::Multitrack::kNone) {
    MediaTag t;
    t.media = media;
    t.multitrack = mt;
    t.legacy_audio_flags = flags;
    t.frames = std::move(frames);
    Bytes body;
    std::string error;
    fail_unless(rtmp::write_media_tag(t, body, &error) == rtmp::TagStatus::kOk, "%s",
                error.c_str());
    rtmp::write_flv_tag(static_cast<uint8_t>(media), ts, body, out);
    return *this;
  }
  Flv& video(Codec c, PacketKind k, rtmp::ByteView p, uint32_t ts, uint8_t ft = 1,
             int32_t cts = 0) {
    return tag(MediaType::kVideo, {frame(c, k, p, ft, cts)}, ts);
  }
  Flv& audio(Codec c, PacketKind k, rtmp::ByteView p, uint32_t ts, uint8_t flags = 0) {
    return tag(MediaType::kAudio, {frame(c, k, p, 0)}, ts, flags);
  }
};

const Bytes kData = rtmp::test::hex("0000000365010203");

// One codec: its sequence start (if any) and two coded frames.
Bytes one_codec(MediaType media, Codec c, std::optional<Bytes> record, uint8_t flags = 0) {
  Flv f(media == MediaType::kAudio, media == MediaType::kVideo);
  if (record)
    f.tag(media, {frame(c, PacketKind::kSequenceStart, *record, media == MediaType::kVideo)}, 0,
          flags);
  f.tag(media, {frame(c, PacketKind::kCodedFrames, kData, media == MediaType::kVideo ? 1 : 0)}, 0,
        flags);
  f.tag(media, {frame(c, PacketKind::kCodedFrames, kData, media == MediaType::kVideo ? 2 : 0)}, 40,
        flags);
  return f.out;
}

void expect_caps(const Bytes& flv, const char* pad, const char* expected) {
  Run run;
  run_demuxer(run, flv, "enhancedflvdemux");
  fail_unless(run.pads.count(pad) == 1, "no pad %s", pad);
  const PadSeen& seen = run.pads[pad];
  fail_unless(seen.caps.size() == 1 && seen.buffers.size() == 2, "%s: %zu caps, %zu buffers", pad,
              seen.caps.size(), seen.buffers.size());
  GstCaps* got = gst_caps_from_string(seen.caps[0].c_str());
  GstCaps* want = gst_caps_from_string(expected);
  fail_unless(gst_caps_is_subset(got, want), "%s: %s is not %s", pad, seen.caps[0].c_str(),
              expected);
  gst_caps_unref(got);
  gst_caps_unref(want);
  fail_unless(run.no_more_pads == 1);
}

}  // namespace

GST_START_TEST(test_caps_of_every_enhanced_codec) {
  using rtmp::test::hex;
  const MediaType V = MediaType::kVideo;
  const MediaType A = MediaType::kAudio;
  expect_caps(one_codec(V, Codec::four_cc(fcc::kAvc), rtmp::test::avc_record()), "video_0",
              "video/x-h264, stream-format=avc, alignment=au, codec_data=(buffer)"
              "01f4000dffe1001967f4000d919b28283f6022000003000200000300641e28532c01000568ce0f1920"
              "fff8f800");
  expect_caps(one_codec(V, Codec::four_cc(fcc::kHevc), rtmp::test::hevc_record()), "video_0",
              "video/x-h265, stream-format=hvc1, alignment=au");
  expect_caps(one_codec(V, Codec::four_cc(fcc::kAv1), rtmp::test::av1_record()), "video_0",
              "video/x-av1, stream-format=obu-stream, alignment=tu, "
              "codec_data=(buffer)812000000a0d200000043cffbcdaf92021a004");
  expect_caps(one_codec(V, Codec::four_cc(fcc::kVp9), rtmp::test::vp9_record()), "video_0",
              "video/x-vp9, profile=(string)1, bit-depth-luma=(uint)8");
  expect_caps(one_codec(V, Codec::four_cc(fcc::kVp8), std::nullopt), "video_0", "video/x-vp8");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kAac), rtmp::test::aac_config()), "audio_0",
              "audio/mpeg, mpegversion=4, stream-format=raw, framed=true, rate=44100, "
              "channels=2, codec_data=(buffer)121056e500");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kMp3), std::nullopt), "audio_0",
              "audio/mpeg, mpegversion=1, layer=3");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kOpus), rtmp::test::opus_head()), "audio_0",
              "audio/x-opus, rate=48000, channels=2, channel-mapping-family=0");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kFlac), rtmp::test::flac_header()), "audio_0",
              "audio/x-flac, framed=true, rate=48000, channels=1");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kAc3), std::nullopt), "audio_0",
              "audio/x-ac3, framed=true");
  expect_caps(one_codec(A, Codec::four_cc(fcc::kEac3), std::nullopt), "audio_0",
              "audio/x-eac3, framed=true");
}
GST_END_TEST

GST_START_TEST(test_opus_and_flac_stream_headers) {
  Run run;
  run_demuxer(run,
              one_codec(MediaType::kAudio, Codec::four_cc(fcc::kFlac), rtmp::test::flac_header()),
              "enhancedflvdemux");
  GstCaps* caps = gst_caps_from_string(run.pads["audio_0"].caps[0].c_str());
  const GValue* headers = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
  fail_unless(headers && gst_value_array_get_size(headers) == 2);
  GstBuffer* marker = gst_value_get_buffer(gst_value_array_get_value(headers, 0));
  fail_unless(gst_buffer_memcmp(marker, 0, "fLaC", 4) == 0);
  gst_caps_unref(caps);
}
GST_END_TEST

GST_START_TEST(test_timestamps_with_composition_time) {
  const Codec hevc = Codec::four_cc(fcc::kHevc);
  const Bytes hvcc = rtmp::test::hevc_record();
  Flv f(false, true);
  f.video(hevc, PacketKind::kSequenceStart, hvcc, 0)
      .video(hevc, PacketKind::kCodedFrames, kData, 0, 1, 80)
      .video(hevc, PacketKind::kCodedFrames, kData, 40, 2, 80)
      .video(hevc, PacketKind::kCodedFrames, kData, 80, 3, -40);
  Run run;
  run_demuxer(run, f.out, "enhancedflvdemux");
  const auto& b = run.pads["video_0"].buffers;
  fail_unless_equals_int(b.size(), 3);
  fail_unless_equals_uint64(b[0].dts, 0);
  fail_unless_equals_uint64(b[0].pts, 80 * GST_MSECOND);
  fail_unless_equals_uint64(b[1].pts, 120 * GST_MSECOND);
  fail_unless_equals_uint64(b[2].dts, 80 * GST_MSECOND);
  fail_unless_equals_uint64(b[2].pts, 40 * GST_MSECOND);
  fail_unless(!b[0].delta && b[1].delta && b[2].delta);
  fail_unless(b[0].discont && !b[1].discont);
}
GST_END_TEST

GST_START_TEST(test_discont_after_input_discont) {
  const Codec opus = Codec::four_cc(fcc::kOpus);
  const Bytes head = rtmp::test::opus_head();
  Flv f(true, false);
  f.audio(opus, PacketKind::kSequenceStart, head, 0)
      .audio(opus, PacketKind::kCodedFrames, kData, 0);
  const size_t cut = f.out.size();
  f.audio(opus, PacketKind::kCodedFrames, kData, 20)
      .audio(opus, PacketKind::kCodedFrames, kData, 40);
  Run run;
  run_demuxer(run, f.out, "enhancedflvdemux", {cut}, {cut});
  const auto& b = run.pads["audio_0"].buffers;
  fail_unless_equals_int(b.size(), 3);
  fail_unless(b[0].discont && b[1].discont && !b[2].discont);
}
GST_END_TEST

GST_START_TEST(test_new_sequence_start_changes_caps) {
  const Codec hevc = Codec::four_cc(fcc::kHevc);
  const Bytes h1 = rtmp::test::hevc_record();
  Bytes h2 = h1;
  h2.back() ^= 1;
  Flv f(false, true);
  f.video(hevc, PacketKind::kSequenceStart, h1, 0)
      .video(hevc, PacketKind::kCodedFrames, kData, 0)
      .video(hevc, PacketKind::kSequenceEnd, {}, 40)
      .video(hevc, PacketKind::kSequenceStart, h2, 40)
      .video(hevc, PacketKind::kCodedFrames, kData, 40);
  Run run;
  run_demuxer(run, f.out, "enhancedflvdemux");
  const PadSeen& seen = run.pads["video_0"];
  fail_unless_equals_int(seen.caps.size(), 2);
  fail_unless(seen.caps[0] != seen.caps[1]);
  fail_unless_equals_int(seen.buffers.size(), 2);
}
GST_END_TEST

GST_START_TEST(test_multitrack_pads_and_no_more_pads) {
  const Codec opus = Codec::four_cc(fcc::kOpus);
  const Codec aac = Codec::four_cc(fcc::kAac);
  const Codec vp9 = Codec::four_cc(fcc::kVp9);
  const Bytes head = rtmp::test::opus_head();
  const Bytes asc = rtmp::test::aac_config();
  const Bytes vpcc = rtmp::test::vp9_record();
  Flv f;
  f.tag(MediaType::kAudio,
        {frame(opus, PacketKind::kSequenceStart, head, 0, 0, 0),
         frame(aac, PacketKind::kSequenceStart, asc, 0, 0, 1)},
        0, 0, rtmp::Multitrack::kManyTracksManyCodecs);
  f.tag(MediaType::kVideo,
        {frame(vp9, PacketKind::kSequenceStart, vpcc, 1, 0, 0),
         frame(vp9, PacketKind::kSequenceStart, vpcc, 1, 0, 3)},
        0, 0, rtmp::Multitrack::kManyTracks);
  f.tag(MediaType::kAudio,
        {frame(opus, PacketKind::kCodedFrames, kData, 0, 0, 0),
         frame(aac, PacketKind::kCodedFrames, kData, 0, 0, 1)},
        0, 0, rtmp::Multitrack::kManyTracksManyCodecs);
  f.tag(MediaType::kVideo, {frame(vp9, PacketKind::kCodedFrames, kData, 1, 0, 3)}, 0, 0,
        rtmp::Multitrack::kOneTrack);
  Run run;
  run_demuxer(run, f.out, "enhancedflvdemux");
  fail_unless_equals_int(run.pads.size(), 4);
  fail_unless(run.pads["audio_0"].caps.at(0).rfind("audio/x-opus", 0) == 0);
  fail_unless(run.pads["audio_1"].caps.at(0).rfind("audio/mpeg", 0) == 0);
  fail_unless_equals_int(run.pads["audio_1"].buffers.size(), 1);
  fail_unless_equals_int(run.pads["video_3"].buffers.size(), 1);
  fail_unless_equals_int(run.pads["video_0"].buffers.size(), 0);
  fail_unless_equals_int(run.no_more_pads, 1);
}
GST_END_TEST

// Legacy input: our caps on video_0 / audio_0 carry everything flvdemux's on video / audio do.
void expect_parity(const Bytes& flv) {
  Run ours;
  Run theirs;
  run_demuxer(ours, flv, "enhancedflvdemux");
  run_demuxer(theirs, flv, "flvdemux");
  fail_unless(!theirs.pads.empty());
  for (auto& [name, seen] : theirs.pads) {
    const std::string our_name = name + "_0";
    fail_unless(ours.pads.count(our_name) == 1, "no %s", our_name.c_str());
    const PadSeen& mine = ours.pads[our_name];
    fail_unless(!seen.caps.empty() && !mine.caps.empty());
    GstCaps* a = gst_caps_from_string(mine.caps.back().c_str());
    GstCaps* b = gst_caps_from_string(seen.caps.back().c_str());
    fail_unless(gst_caps_is_subset(a, b), "ours %s, flvdemux %s", mine.caps.back().c_str(),
                seen.caps.back().c_str());
    gst_caps_unref(a);
    gst_caps_unref(b);
    fail_unless_equals_int(mine.buffers.size(), seen.buffers.size());
    for (size_t i = 0; i < seen.buffers.size(); ++i) {
      fail_unless_equals_uint64(mine.buffers[i].pts, seen.buffers[i].pts);
      fail_unless_equals_int(mine.buffers[i].size, seen.buffers[i].size);
      fail_unless_equals_int(mine.buffers[i].delta, seen.buffers[i].delta);
    }
  }
}

Bytes legacy(uint8_t video_id, std::optional<Bytes> video_record, uint8_t sound_format,
             uint8_t flags, std::optional<Bytes> audio_record) {
  Flv f;
  const Codec v = Codec::legacy(video_id);
  const Codec a = Codec::legacy(sound_format);
  Bytes meta = rtmp::amf0::encode(rtmp::amf0::Value::String("onMetaData"));
  rtmp::amf0::encode(rtmp::amf0::Value::EcmaArray()
                         .set("width", rtmp::amf0::Value::Number(320))
                         .set("height", rtmp::amf0::Value::Number(240))
                         .set("framerate", rtmp::amf0::Value::Number(25)),
                     meta);
  rtmp::write_flv_tag(rtmp::kFlvTagScript, 0, meta, f.out);
  if (video_record) f.video(v, PacketKind::kSequenceStart, *video_record, 0);
  if (audio_record) f.audio(a, PacketKind::kSequenceStart, *audio_record, 0, flags);
  for (uint32_t ts = 0; ts < 200; ts += 40) {
    f.video(v, PacketKind::kCodedFrames, kData, ts, ts == 0 ? 1 : 2, video_id == 7 ? 40 : 0);
    f.audio(a, PacketKind::kCodedFrames, kData, ts + 5, flags);
  }
  return f.out;
}

GST_START_TEST(test_legacy_parity_with_flvdemux) {
  expect_parity(legacy(7, rtmp::test::avc_record(), 10, 0xf, rtmp::test::aac_config()));
  expect_parity(legacy(2, std::nullopt, 2, 0xf, std::nullopt));   // Sorenson, MP3
  expect_parity(legacy(4, std::nullopt, 3, 0x6, std::nullopt));   // VP6, PCM LE
  expect_parity(legacy(5, std::nullopt, 1, 0xd, std::nullopt));   // VP6 alpha, ADPCM
  expect_parity(legacy(3, std::nullopt, 6, 0x2, std::nullopt));   // screen, Nellymoser
  expect_parity(legacy(2, std::nullopt, 7, 0x2, std::nullopt));   // A-law
  expect_parity(legacy(2, std::nullopt, 8, 0x2, std::nullopt));   // mu-law
  expect_parity(legacy(2, std::nullopt, 11, 0x2, std::nullopt));  // Speex
  expect_parity(legacy(2, std::nullopt, 14, 0x2, std::nullopt));  // MP3 8 kHz
  expect_parity(legacy(2, std::nullopt, 0, 0x3, std::nullopt));   // PCM
}
GST_END_TEST

GstCaps* typefind(const Bytes& data) {
  return gst_type_find_helper_for_data(nullptr, data.data(), data.size(), nullptr);
}

GST_START_TEST(test_typefind_enhanced_and_legacy) {
  GstCaps* e =
      typefind(one_codec(MediaType::kVideo, Codec::four_cc(fcc::kHevc), rtmp::test::hevc_record()));
  GstCaps* want = gst_caps_from_string("video/x-flv, enhanced=(boolean)true");
  fail_unless(e && gst_caps_is_equal(e, want));
  GstCaps* l = typefind(legacy(7, rtmp::test::avc_record(), 10, 0xf, rtmp::test::aac_config()));
  GstCaps* plain = gst_caps_from_string("video/x-flv");
  fail_unless(l && gst_caps_is_equal(l, plain));
  for (GstCaps* c : {e, want, l, plain}) gst_caps_unref(c);
}
GST_END_TEST

// What decodebin's (and parsebin's) factory choice gives: the demuxers whose sink template the
// caps are a subset of (decodebin filters fixed caps with subsetonly), best rank first.
std::string first_demuxer(const char* caps_string) {
  GList* all =
      gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DEMUXER, GST_RANK_MARGINAL);
  GstCaps* caps = gst_caps_from_string(caps_string);
  GList* ok = gst_element_factory_list_filter(all, caps, GST_PAD_SINK, TRUE);
  ok = g_list_sort(ok, gst_plugin_feature_rank_compare_func);
  std::string name = ok ? GST_OBJECT_NAME(ok->data) : "";
  gst_plugin_feature_list_free(ok);
  gst_plugin_feature_list_free(all);
  gst_caps_unref(caps);
  return name;
}

GST_START_TEST(test_rank_and_rtmpsrc_caps) {
  fail_unless(first_demuxer("video/x-flv, enhanced=(boolean)true") == "enhancedflvdemux");
  fail_unless(first_demuxer("video/x-flv") == "flvdemux");
  GstElement* src = gst_element_factory_make("rtmpsrc", nullptr);
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstCaps* caps = gst_pad_get_pad_template_caps(pad);
  GstCaps* want = gst_caps_from_string("video/x-flv, enhanced=(boolean)true");
  fail_unless(gst_caps_is_equal(caps, want));
  gst_caps_unref(caps);
  gst_caps_unref(want);
  gst_object_unref(pad);
  gst_object_unref(src);
}
GST_END_TEST

static Suite* enhancedflvdemux_suite() {
  Suite* s = suite_create("enhancedflvdemux");
  TCase* tc = tcase_create("demux");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_caps_of_every_enhanced_codec);
  tcase_add_test(tc, test_opus_and_flac_stream_headers);
  tcase_add_test(tc, test_timestamps_with_composition_time);
  tcase_add_test(tc, test_discont_after_input_discont);
  tcase_add_test(tc, test_new_sequence_start_changes_caps);
  tcase_add_test(tc, test_multitrack_pads_and_no_more_pads);
  tcase_add_test(tc, test_legacy_parity_with_flvdemux);
  tcase_add_test(tc, test_typefind_enhanced_and_legacy);
  tcase_add_test(tc, test_rank_and_rtmpsrc_caps);
  return s;
}

GST_CHECK_MAIN(enhancedflvdemux)
