// Element tests for enhancedflvmux: caps of every codec, each stream read back through
// enhancedflvdemux (every buffer identical, the caps the 1.22 parsers take), multitrack (2 video
// + 2 audio), interleaving and timestamps, onMetaData, legacy output that 1.22's flvdemux reads,
// a new sequence start on new caps, the end of stream, bad caps, pad requests and releases, the
// flv-track-mode pad property through the child proxy, the file fields of a file written by
// filesink, the streamheader caps.
#include <glib/gstdio.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "../unit/tag_vectors.hpp"
#include "element_test_support.hpp"
#include "flv/flv_metadata.hpp"
#include "flv/flv_reader.hpp"
#include "flv/tag_parser.hpp"
// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

namespace {

using rtmp::Bytes;
using rtmp::test::hex;

constexpr GstClockTime kMs = GST_MSECOND;

std::string hex_of(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t v : b) {
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

// --- the muxer's input ---

struct InBuf {
  int64_t pts_ms;
  int64_t dts_ms;
  bool delta;
  Bytes data;
  bool header = false;
};

struct Input {
  std::string pad;
  std::string caps;
  std::vector<InBuf> bufs;
  std::vector<std::string> more_caps = {};  // new caps before buffer `caps_at` (if set)
  size_t caps_at = 0;
};

// `n` buffers every `step` ms; video key frames every 10th.
std::vector<InBuf> frames(int n, int step, bool video, uint8_t seed = 1) {
  std::vector<InBuf> out;
  for (int i = 0; i < n; ++i)
    out.push_back(
        {i * step, i * step, video && i % 10 != 0,
         rtmp::test::filler(static_cast<size_t>(20 + i), static_cast<uint8_t>(seed + i))});
  return out;
}

GstBuffer* make_buffer(const InBuf& b) {
  GstBuffer* g = gst_buffer_new_memdup(b.data.data(), b.data.size());
  if (b.pts_ms >= 0) GST_BUFFER_PTS(g) = static_cast<GstClockTime>(b.pts_ms) * kMs;
  if (b.dts_ms >= 0) GST_BUFFER_DTS(g) = static_cast<GstClockTime>(b.dts_ms) * kMs;
  if (b.delta) GST_BUFFER_FLAG_SET(g, GST_BUFFER_FLAG_DELTA_UNIT);
  if (b.header) GST_BUFFER_FLAG_SET(g, GST_BUFFER_FLAG_HEADER);
  return g;
}

struct OutBuf {
  Bytes data;
  GstClockTime pts;
  bool header;
  bool delta;
};

struct MuxRun {
  std::vector<OutBuf> out;
  std::vector<std::string> caps;
  Bytes bytes;
  std::string error;
};

std::string wait_end(GstElement* pipeline) {
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* m = gst_bus_timed_pop_filtered(
      bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string error = m ? "" : "no EOS";
  if (m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(m, &err, &debug);
    error = std::string(err->message) + " | " + (debug ? debug : "");
    g_error_free(err);
    g_free(debug);
  }
  if (m) gst_message_unref(m);
  gst_object_unref(bus);
  return error;
}

void collect(GstElement* sink, MuxRun& run) {
  while (GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 0)) {
    GstBuffer* b = gst_sample_get_buffer(s);
    OutBuf o{Bytes(gst_buffer_get_size(b)), GST_BUFFER_PTS(b),
             GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_HEADER) != 0,
             GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT) != 0};
    gst_buffer_extract(b, 0, o.data.data(), o.data.size());
    run.bytes.insert(run.bytes.end(), o.data.begin(), o.data.end());
    run.out.push_back(std::move(o));
    gchar* c = gst_caps_to_string(gst_sample_get_caps(s));
    if (run.caps.empty() || run.caps.back() != c) run.caps.push_back(c);
    g_free(c);
    gst_sample_unref(s);
  }
}

void push_input(GstElement* src, const Input& in) {
  for (size_t i = 0; i < in.bufs.size(); ++i) {
    if (!in.more_caps.empty() && i == in.caps_at) {
      GstCaps* caps = gst_caps_from_string(in.more_caps[0].c_str());
      gst_app_src_set_caps(GST_APP_SRC(src), caps);
      gst_caps_unref(caps);
    }
    gst_app_src_push_buffer(GST_APP_SRC(src), make_buffer(in.bufs[i]));
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
}

// appsrc per input -> enhancedflvmux (`mux_desc`: the element and its properties) -> appsink, or
// filesink when `file` is given (the file's bytes are read back).
MuxRun run_mux(const std::vector<Input>& inputs, const std::string& mux_desc = "enhancedflvmux",
               const char* file = nullptr, GstElement** keep_mux = nullptr) {
  MuxRun run;
  std::string desc =
      mux_desc + " name=m ! " +
      (file ? std::string("filesink location=") + file
            : std::string("appsink name=out sync=false max-buffers=0 wait-on-eos=false"));
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipeline && !err, "%s", err ? err->message : "");
  GstElement* mux = gst_bin_get_by_name(GST_BIN(pipeline), "m");
  std::vector<GstElement*> srcs;
  for (const Input& in : inputs) {
    GstElement* src = gst_element_factory_make("appsrc", nullptr);
    g_object_set(src, "format", GST_FORMAT_TIME, "max-bytes", G_GUINT64_CONSTANT(0), nullptr);
    if (!in.caps.empty()) {  // empty: buffers without caps
      GstCaps* caps = gst_caps_from_string(in.caps.c_str());
      fail_unless(caps != nullptr, "bad caps %s", in.caps.c_str());
      g_object_set(src, "caps", caps, nullptr);
      gst_caps_unref(caps);
    }
    gst_bin_add(GST_BIN(pipeline), src);
    fail_unless(gst_element_link_pads(src, "src", mux, in.pad.c_str()), "no pad %s",
                in.pad.c_str());
    srcs.push_back(src);
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (size_t i = 0; i < inputs.size(); ++i) push_input(srcs[i], inputs[i]);
  run.error = wait_end(pipeline);
  if (!file) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    collect(sink, run);
    gst_object_unref(sink);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (file) {
    gchar* contents = nullptr;
    gsize size = 0;
    if (g_file_get_contents(file, &contents, &size, nullptr))
      run.bytes.assign(contents, contents + size);
    g_free(contents);
  }
  if (keep_mux)
    *keep_mux = mux;
  else
    gst_object_unref(mux);
  gst_object_unref(pipeline);
  return run;
}

// --- reading the output back ---

struct PadSeen {
  std::vector<std::string> caps;
  std::vector<OutBuf> buffers;
  std::vector<GstClockTime> dts;
};

struct Demuxed {
  std::mutex lock;
  std::map<std::string, PadSeen> pads;
  GstElement* pipeline = nullptr;
};

GstPadProbeReturn on_data(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* d = static_cast<Demuxed*>(data);
  std::lock_guard<std::mutex> g(d->lock);
  PadSeen& seen = d->pads[probed_pad_name(pad)];
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    OutBuf o{Bytes(gst_buffer_get_size(b)), GST_BUFFER_PTS(b), false,
             GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT) != 0};
    gst_buffer_extract(b, 0, o.data.data(), o.data.size());
    seen.buffers.push_back(std::move(o));
    seen.dts.push_back(GST_BUFFER_DTS(b));
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    seen.caps.push_back(caps_event_string(GST_PAD_PROBE_INFO_EVENT(info)));
  }
  return GST_PAD_PROBE_OK;
}

void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto* d = static_cast<Demuxed*>(data);
  fail_unless(link_probed_fakesink(GST_BIN(d->pipeline), pad, on_data, d));
}

// appsrc (FLV bytes) ! `demuxer`, to EOS.
void demux(Demuxed& d, const Bytes& flv, const char* demuxer = "enhancedflvdemux") {
  d.pipeline = gst_pipeline_new(nullptr);
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstElement* dm = gst_element_factory_make(demuxer, nullptr);
  GstCaps* caps = gst_caps_from_string("video/x-flv");
  g_object_set(src, "caps", caps, "format", GST_FORMAT_BYTES, nullptr);
  gst_caps_unref(caps);
  gst_bin_add_many(GST_BIN(d.pipeline), src, dm, nullptr);
  fail_unless(gst_element_link(src, dm));
  g_signal_connect(dm, "pad-added", G_CALLBACK(on_pad_added), &d);
  gst_element_set_state(d.pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_memdup(flv.data(), flv.size()));
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  const std::string error = wait_end(d.pipeline);
  fail_unless(error.empty(), "%s: %s", demuxer, error.c_str());
  gst_element_set_state(d.pipeline, GST_STATE_NULL);
  gst_object_unref(d.pipeline);
}

std::vector<rtmp::FlvTag> flv_tags(const Bytes& flv) {
  rtmp::FlvReader r;
  std::vector<rtmp::FlvTag> tags;
  fail_unless(r.feed(flv, tags) == rtmp::FlvReader::Status::kOk, "%s", r.error().c_str());
  return tags;
}

rtmp::MediaTag parse_tag(const rtmp::FlvTag& t) {
  rtmp::MediaTag m;
  std::string error;
  fail_unless(rtmp::parse_media_tag(static_cast<rtmp::MediaType>(t.type), t.data, m, &error) ==
                  rtmp::TagStatus::kOk,
              "%s", error.c_str());
  return m;
}

void expect_subset(const std::string& got, const std::string& want) {
  GstCaps* g = gst_caps_from_string(got.c_str());
  GstCaps* w = gst_caps_from_string(want.c_str());
  fail_unless(g && w && gst_caps_is_subset(g, w), "caps %s are not %s", got.c_str(), want.c_str());
  gst_caps_unref(g);
  gst_caps_unref(w);
}

// Every input buffer (but in-band headers) came out of `pad` unchanged, with its times.
void expect_same_buffers(const PadSeen& seen, const std::vector<InBuf>& in, const char* what) {
  std::vector<const InBuf*> want;
  for (const InBuf& b : in)
    if (!b.header) want.push_back(&b);
  fail_unless_equals_int(seen.buffers.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    fail_unless(seen.buffers[i].data == want[i]->data, "%s: buffer %zu differs", what, i);
    fail_unless_equals_uint64(seen.buffers[i].pts,
                              static_cast<GstClockTime>(want[i]->pts_ms) * kMs);
    fail_unless_equals_uint64(seen.dts[i], static_cast<GstClockTime>(want[i]->dts_ms) * kMs);
    fail_unless(seen.buffers[i].delta == want[i]->delta, "%s: buffer %zu flags", what, i);
  }
}

// --- codecs ---

const Bytes kAomTu =
    hex("1200 0a0b000000043cffbcdaf90040 328e101400a0b010b44cf0919afd29e1e910496e0cc8b4c038ee1519"
        "5548643add3f1cd7");
const Bytes kOggFlac =
    hex("7f464c414301000002664c614300000022120012000000000000000bb802f000000000000000000000000000"
        "00000000000000");
const Bytes kFlacComment = hex("840000046200000000");
const Bytes kOpusTags = hex("4f707573546167730000000000000000");

std::string video_caps(const std::string& head) {
  return head + ", width=(int)320, height=(int)240, framerate=(fraction)25/1";
}

struct CodecCase {
  const char* name;
  const char* pad;
  std::string caps;
  std::string demuxed;  // what enhancedflvdemux's caps must be a subset of
  bool enhanced;
  std::vector<InBuf> bufs;
};

std::vector<CodecCase> codec_cases() {
  const std::string avc = hex_of(rtmp::test::avc_record());
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  const std::string av1 = hex_of(rtmp::test::av1_record());
  std::vector<InBuf> av1_frames = frames(3, 40, true);
  av1_frames[0].data = kAomTu;
  std::vector<InBuf> flac = frames(4, 20, false);
  flac.insert(flac.begin(), {{-1, -1, false, hex("664c6143"), true},
                             {-1, -1, false, Bytes(kOggFlac.begin() + 13, kOggFlac.end()), true}});
  return {
      {"h264", "video_0",
       video_caps("video/x-h264, stream-format=avc, alignment=au, codec_data=(buffer)" + avc),
       "video/x-h264, stream-format=avc, codec_data=(buffer)" + avc, false, frames(12, 40, true)},
      {"h265", "video_0",
       video_caps("video/x-h265, stream-format=hvc1, alignment=au, codec_data=(buffer)" + hvc),
       "video/x-h265, stream-format=hvc1, codec_data=(buffer)" + hvc, true, frames(12, 40, true)},
      {"hev1", "video_0",
       video_caps("video/x-h265, stream-format=hev1, alignment=au, codec_data=(buffer)" + hvc),
       "video/x-h265, stream-format=hvc1, codec_data=(buffer)" + hvc, true, frames(3, 40, true)},
      {"av1", "video_0",
       video_caps("video/x-av1, stream-format=obu-stream, alignment=tu, codec_data=(buffer)" + av1),
       "video/x-av1, codec_data=(buffer)" + av1, true, frames(3, 40, true)},
      {"av1 from frames", "video_0",
       video_caps("video/x-av1, stream-format=obu-stream, alignment=tu"),
       "video/x-av1, profile=(string)main, codec_data=(buffer)81000c000a0b000000043cffbcdaf90040",
       true, av1_frames},
      {"vp9", "video_0",
       video_caps("video/x-vp9, profile=(string)0, chroma-format=(string)4:2:0, "
                  "bit-depth-luma=(uint)8, colorimetry=(string)bt709, alignment=super-frame"),
       "video/x-vp9, profile=(string)0, chroma-format=(string)4:2:0, bit-depth-luma=(uint)8", true,
       frames(3, 40, true)},
      {"vp8", "video_0", video_caps("video/x-vp8, profile=(string)0"), "video/x-vp8", true,
       frames(3, 40, true)},
      {"aac", "audio_0",
       "audio/mpeg, mpegversion=4, stream-format=raw, rate=44100, channels=2, "
       "codec_data=(buffer)121056e500",
       "audio/mpeg, mpegversion=4, stream-format=raw, codec_data=(buffer)121056e500", false,
       frames(5, 23, false)},
      {"mp3", "audio_0", "audio/mpeg, mpegversion=1, layer=3, parsed=true, rate=44100, channels=2",
       "audio/mpeg, mpegversion=1, layer=3", false, frames(5, 26, false)},
      {"opus", "audio_0",
       "audio/x-opus, rate=48000, channels=2, channel-mapping-family=0, streamheader=(buffer)< " +
           hex_of(rtmp::test::opus_head()) + ", " + hex_of(kOpusTags) + " >",
       "audio/x-opus, channels=2, rate=48000", true, frames(5, 20, false)},
      {"opus without streamheader", "audio_0",
       "audio/x-opus, rate=48000, channels=1, channel-mapping-family=0",
       "audio/x-opus, channels=1, rate=48000", true, frames(5, 20, false)},
      {"flac", "audio_0",
       "audio/x-flac, framed=true, rate=48000, channels=2, streamheader=(buffer)< " +
           hex_of(kOggFlac) + ", " + hex_of(kFlacComment) + " >",
       "audio/x-flac, rate=48000, channels=2", true, flac},
      {"flac as flacenc gives it (no framed field)", "audio_0",
       "audio/x-flac, rate=48000, channels=2, streamheader=(buffer)< " + hex_of(kOggFlac) + ", " +
           hex_of(kFlacComment) + " >",
       "audio/x-flac, rate=48000, channels=2", true, flac},
      {"ac3", "audio_0", "audio/x-ac3, framed=true, alignment=frame, rate=48000, channels=2",
       "audio/x-ac3", true, frames(5, 32, false)},
      {"eac3", "audio_1", "audio/x-eac3, framed=true, alignment=frame, rate=48000, channels=6",
       "audio/x-eac3", true, frames(5, 32, false)},
  };
}

GST_START_TEST(test_every_codec_round_trip) {
  for (const CodecCase& c : codec_cases()) {
    MuxRun run = run_mux({{c.pad, c.caps, c.bufs}});
    fail_unless(run.error.empty(), "%s: %s", c.name, run.error.c_str());
    fail_unless(!run.caps.empty());
    expect_subset(run.caps.back(),
                  c.enhanced ? "video/x-flv, enhanced=(boolean)true" : "video/x-flv");
    fail_unless(c.enhanced || run.caps.back().find("enhanced") == std::string::npos, "%s: %s",
                c.name, run.caps.back().c_str());
    Demuxed d;
    demux(d, run.bytes);
    fail_unless(d.pads.count(c.pad) == 1, "%s: no pad %s", c.name, c.pad);
    const PadSeen& seen = d.pads[c.pad];
    fail_unless_equals_int(seen.caps.size(), 1);
    expect_subset(seen.caps[0], c.demuxed);
    expect_same_buffers(seen, c.bufs, c.name);
  }
}
GST_END_TEST

GST_START_TEST(test_multitrack_two_video_two_audio) {
  const std::string avc = hex_of(rtmp::test::avc_record());
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  std::vector<Input> in = {
      {"video_0",
       video_caps("video/x-h264, stream-format=avc, alignment=au, "
                  "codec_data=(buffer)" +
                  avc),
       frames(25, 40, true, 1)},
      {"video_1",
       "video/x-h265, stream-format=hvc1, alignment=au, width=(int)640, "
       "height=(int)360, framerate=(fraction)25/1, codec_data=(buffer)" +
           hvc,
       frames(25, 40, true, 2)},
      {"audio_0",
       "audio/mpeg, mpegversion=4, stream-format=raw, rate=44100, channels=2, "
       "codec_data=(buffer)121056e500",
       frames(43, 23, false, 3)},
      {"audio_1", "audio/x-opus, rate=48000, channels=2, channel-mapping-family=0",
       frames(50, 20, false, 4)},
  };
  MuxRun run = run_mux(in);
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  Demuxed d;
  demux(d, run.bytes);
  fail_unless_equals_int(d.pads.size(), 4);
  for (const Input& i : in) expect_same_buffers(d.pads[i.pad], i.bufs, i.pad.c_str());
  expect_subset(d.pads["video_1"].caps[0], "video/x-h265, width=(int)640, height=(int)360");
  // Track 0 of each kind is legacy (H.264, AAC), the others multitrack with their ids.
  std::vector<rtmp::FlvTag> tags = flv_tags(run.bytes);
  rtmp::FlvMetadata meta;
  fail_unless(rtmp::parse_flv_metadata(tags[0].data, meta, nullptr));
  fail_unless_equals_int(meta.video_tracks.size(), 1);
  fail_unless_equals_int(meta.audio_tracks.size(), 1);
  fail_unless(meta.video.codec_id == 7.0 && meta.audio.codec_id == 10.0);
  fail_unless(meta.video_tracks[0].codec_id == static_cast<double>(rtmp::fourcc::kHevc));
  fail_unless(meta.audio_tracks[0].codec_id == static_cast<double>(rtmp::fourcc::kOpus));
  for (const rtmp::FlvTag& t : tags) {
    if (t.type == rtmp::kFlvTagScript) continue;
    rtmp::MediaTag m = parse_tag(t);
    const bool zero = m.frames[0].track_id == 0;
    fail_unless(zero == !m.frames[0].codec.enhanced);
    fail_unless(zero == (m.multitrack == rtmp::Multitrack::kNone));
  }
}
GST_END_TEST

// Tags in decoding-time order over all inputs (servers refuse a timestamp going back); frames
// at the same time: video first.
GST_START_TEST(test_interleaving_order) {
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  std::vector<InBuf> video = frames(30, 33, true);
  std::vector<InBuf> audio = frames(47, 21, false);
  MuxRun run = run_mux({{"audio_0", "audio/x-ac3, framed=true, alignment=frame", audio},
                        {"video_0",
                         video_caps("video/x-h265, stream-format=hvc1, "
                                    "alignment=au, codec_data=(buffer)" +
                                    hvc),
                         video}});
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  uint32_t last = 0;
  std::vector<std::pair<uint32_t, uint8_t>> order;
  for (const rtmp::FlvTag& t : flv_tags(run.bytes)) {
    fail_unless(t.timestamp >= last, "tag at %u after %u", t.timestamp, last);
    last = t.timestamp;
    if (t.type != rtmp::kFlvTagScript &&
        parse_tag(t).frames[0].kind == rtmp::PacketKind::kCodedFrames)
      order.emplace_back(t.timestamp, t.type);
  }
  fail_unless_equals_int(order.size(), video.size() + audio.size());
  std::vector<std::pair<uint32_t, uint8_t>> sorted = order;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second > b.second);
  });
  for (size_t i = 0; i < order.size(); ++i)
    fail_unless(order[i] == sorted[i], "tag %zu: %u/%u, expected %u/%u", i, order[i].first,
                order[i].second, sorted[i].first, sorted[i].second);
}
GST_END_TEST

// B-frames: DTS before PTS; the first tag is at 0 and the composition times keep every PTS.
GST_START_TEST(test_timestamps_and_composition_time) {
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  std::vector<InBuf> in;
  const int64_t pts[] = {1000, 1120, 1040, 1080, 1240, 1160, 1200};
  for (int i = 0; i < 7; ++i)
    in.push_back({pts[i], 920 + i * 40, i != 0, rtmp::test::filler(30, static_cast<uint8_t>(i))});
  Input v{"video_0",
          video_caps("video/x-h265, stream-format=hvc1, alignment=au, "
                     "codec_data=(buffer)" +
                     hvc),
          in};
  MuxRun run = run_mux({v});
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  std::vector<int32_t> cts;
  std::vector<uint32_t> ts;
  for (const rtmp::FlvTag& t : flv_tags(run.bytes)) {
    if (t.type != rtmp::kFlvTagVideo) continue;
    rtmp::MediaTag m = parse_tag(t);
    if (m.frames[0].kind != rtmp::PacketKind::kCodedFrames) continue;
    ts.push_back(t.timestamp);
    cts.push_back(m.frames[0].composition_time);
  }
  fail_unless(ts == (std::vector<uint32_t>{0, 40, 80, 120, 160, 200, 240}));
  fail_unless(cts == (std::vector<int32_t>{80, 160, 40, 40, 160, 40, 40}));
  // Streamable (appsink cannot seek): the output is timestamped with the running times.
  std::vector<GstClockTime> out_pts;
  for (const OutBuf& b : run.out)
    if (GST_CLOCK_TIME_IS_VALID(b.pts)) out_pts.push_back(b.pts);
  fail_unless_equals_int(out_pts.size(), 7);
  fail_unless_equals_uint64(out_pts[1], 960 * kMs);
}
GST_END_TEST

GST_START_TEST(test_onmetadata_content) {
  const std::string avc = hex_of(rtmp::test::avc_record());
  std::vector<Input> in = {
      {"video",
       video_caps("video/x-h264, stream-format=avc, alignment=au, "
                  "pixel-aspect-ratio=(fraction)4/3, codec_data=(buffer)" +
                  avc),
       frames(3, 40, true)},
      {"audio", "audio/mpeg, mpegversion=1, layer=3, parsed=true, rate=22050, channels=1",
       frames(3, 26, false)},
      {"audio_2", "audio/x-flac, framed=true, streamheader=(buffer)< " + hex_of(kOggFlac) + " >",
       frames(3, 20, false)},
  };
  MuxRun run = run_mux(in, "enhancedflvmux metadatacreator=me encoder=\"\"");
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  std::vector<rtmp::FlvTag> tags = flv_tags(run.bytes);
  fail_unless_equals_int(tags[0].type, rtmp::kFlvTagScript);
  rtmp::amf0::Value top;
  fail_unless(rtmp::amf0::decode(rtmp::ByteView(tags[0].data).subspan(13), top, nullptr) > 0);
  fail_unless_equals_int(top.get_number("width").value_or(0), 320);
  fail_unless_equals_int(top.get_number("height").value_or(0), 240);
  fail_unless_equals_int(top.get_number("framerate").value_or(0), 25);
  fail_unless_equals_int(top.get_number("AspectRatioX").value_or(0), 4);
  fail_unless_equals_int(top.get_number("videocodecid").value_or(0), 7);
  fail_unless_equals_int(top.get_number("audiocodecid").value_or(0), 2);
  fail_unless_equals_int(top.get_number("audiosamplerate").value_or(0), 22050);
  fail_unless(top.get("stereo") && !top.get("stereo")->boolean());
  fail_unless(top.get_string("metadatacreator") == std::string("me"));
  fail_unless(!top.get("encoder"));
  const rtmp::amf0::Value* map = top.get("audioTrackIdInfoMap");
  fail_unless(map && map->get("2"));
  fail_unless_equals_uint64(map->get("2")->get_number("audiocodecid").value_or(0),
                            rtmp::fourcc::kFlac);
  fail_unless_equals_int(map->get("2")->get_number("samplerate").value_or(0), 48000);
  fail_unless_equals_int(map->get("2")->get_number("channels").value_or(0), 2);
  fail_unless(!top.get("videoTrackIdInfoMap"));
  // Legacy MP3 at 22 kHz mono: SoundRate 2, 16 bit, mono.
  for (const rtmp::FlvTag& t : tags)
    if (t.type == rtmp::kFlvTagAudio && (t.data[0] >> 4) != 9)
      fail_unless_equals_int(t.data[0], 0x2a);
}
GST_END_TEST

// Tags (taginject) become onMetaData strings; a stream's bit rate its data rate.
GST_START_TEST(test_tags_to_onmetadata) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(
      "enhancedflvmux name=m ! appsink name=out sync=false wait-on-eos=false "
      "audiotestsrc num-buffers=5 ! audio/x-raw,rate=44100 ! voaacenc ! "
      "taginject tags=\"title=Show,artist=Me\" ! "
      "taginject tags=\"nominal-bitrate=(uint)96000\" ! m.audio",
      &err);
  fail_unless(p && !err, "%s", err ? err->message : "");
  gst_element_set_state(p, GST_STATE_PLAYING);
  fail_unless(wait_end(p).empty());
  MuxRun run;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "out");
  collect(sink, run);
  gst_object_unref(sink);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  rtmp::amf0::Value top;
  rtmp::amf0::decode(rtmp::ByteView(flv_tags(run.bytes)[0].data).subspan(13), top, nullptr);
  fail_unless(top.get_string("title") == std::string("Show"));
  fail_unless(top.get_string("creator") == std::string("Me"));
  fail_unless_equals_int(top.get_number("audiodatarate").value_or(0), 96);
}
GST_END_TEST

// H.264 + AAC by default: legacy tags that GStreamer 1.22's flvdemux reads, every buffer back.
GST_START_TEST(test_legacy_output_read_by_flvdemux) {
  const std::string avc = hex_of(rtmp::test::avc_record());
  std::vector<InBuf> video = frames(20, 40, true);
  for (size_t i = 1; i < video.size(); ++i) video[i].pts_ms += 80;  // composition time
  video[0].pts_ms += 80;
  std::vector<Input> in = {
      {"video_0",
       video_caps("video/x-h264, stream-format=avc, alignment=au, "
                  "codec_data=(buffer)" +
                  avc),
       video},
      {"audio_0",
       "audio/mpeg, mpegversion=4, stream-format=raw, rate=44100, channels=2, "
       "codec_data=(buffer)121056e500",
       frames(30, 23, false)},
  };
  MuxRun run = run_mux(in);
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  fail_unless(run.caps.back().find("enhanced") == std::string::npos);
  Demuxed d;
  demux(d, run.bytes, "flvdemux");
  fail_unless(d.pads.count("video") && d.pads.count("audio"));
  expect_subset(d.pads["video"].caps.back(),
                "video/x-h264, stream-format=avc, codec_data=(buffer)" + avc);
  expect_subset(d.pads["audio"].caps.back(),
                "audio/mpeg, mpegversion=4, codec_data=(buffer)121056e500");
  const PadSeen& v = d.pads["video"];
  fail_unless_equals_int(v.buffers.size(), video.size());
  for (size_t i = 0; i < video.size(); ++i) {
    fail_unless(v.buffers[i].data == video[i].data, "video buffer %zu", i);
    fail_unless_equals_uint64(v.buffers[i].pts, static_cast<GstClockTime>(video[i].pts_ms) * kMs);
  }
  fail_unless_equals_int(d.pads["audio"].buffers.size(), 30);
}
GST_END_TEST

// New caps with another codec_data: a sequence start before the next frame (not flagged
// HEADER, so rtmpsink sends it), new caps out of the demuxer; SequenceEnd at the end.
GST_START_TEST(test_caps_change_and_end) {
  const Bytes h1 = rtmp::test::hevc_record();
  Bytes h2 = h1;
  h2.back() ^= 1;
  Input v{"video_0",
          video_caps("video/x-h265, stream-format=hvc1, alignment=au, "
                     "codec_data=(buffer)" +
                     hex_of(h1)),
          frames(6, 40, true)};
  v.more_caps = {
      video_caps("video/x-h265, stream-format=hvc1, alignment=au, "
                 "codec_data=(buffer)" +
                 hex_of(h2))};
  v.caps_at = 3;
  v.bufs[3].delta = false;
  MuxRun run = run_mux({v});
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  std::vector<rtmp::PacketKind> kinds;
  for (const OutBuf& b : run.out) {
    std::vector<rtmp::FlvTag> t;
    rtmp::FlvReader r;
    Bytes one = hex("464c5601010000000900000000");
    one.insert(one.end(), b.data.begin(), b.data.end());
    r.feed(one, t);
    if (t.empty() || t[0].type != rtmp::kFlvTagVideo) continue;
    const rtmp::PacketKind k = parse_tag(t[0]).frames[0].kind;
    kinds.push_back(k);
    if (k == rtmp::PacketKind::kSequenceStart && kinds.size() > 1) fail_unless(!b.header);
  }
  using K = rtmp::PacketKind;
  fail_unless(kinds == (std::vector<K>{K::kSequenceStart, K::kCodedFrames, K::kCodedFrames,
                                       K::kCodedFrames, K::kSequenceStart, K::kCodedFrames,
                                       K::kCodedFrames, K::kCodedFrames, K::kSequenceEnd}));
  Demuxed d;
  demux(d, run.bytes);
  fail_unless_equals_int(d.pads["video_0"].caps.size(), 2);
  expect_subset(d.pads["video_0"].caps[1], "video/x-h265, codec_data=(buffer)" + hex_of(h2));
  fail_unless(run.caps.size() >= 2);  // the streamheader follows the new record
  fail_unless(run.caps.back().find(hex_of(h2)) != std::string::npos);
}
GST_END_TEST

// Caps the muxer cannot take: an error on the bus that says why, no crash.
GST_START_TEST(test_bad_caps_error) {
  const struct {
    const char* pad;
    const char* caps;
    const char* why;
  } cases[] = {
      {"video_0", "video/x-h264, stream-format=avc, alignment=au", "codec_data"},
      {"video_0", "video/x-h264, stream-format=avc, alignment=au, codec_data=(buffer)00ff",
       "malformed"},
      {"audio_0", "audio/mpeg, mpegversion=4, stream-format=raw, rate=44100, channels=2",
       "codec_data"},
      {"audio_0", "audio/x-flac, framed=true, rate=44100, channels=2", "STREAMINFO"},
      {"audio_0", "audio/x-flac, framed=false, rate=44100, channels=2", "framed"},
      {"audio_0", "audio/x-opus, rate=48000, channels=6, channel-mapping-family=0", "OpusHead"},
      {"video_0", "video/x-vp9, alignment=frame", "super-frame"},
      {"audio_0", "", "without caps"},
  };
  for (const auto& c : cases) {
    MuxRun run = run_mux({{c.pad, c.caps, frames(3, 40, false)}});
    fail_unless(run.error.find(c.why) != std::string::npos, "%s: error '%s'", c.caps,
                run.error.c_str());
  }
  // Not linkable at all: byte-stream H.264 (the template wants avc; h264parse converts).
  GstElement* mux = gst_element_factory_make("enhancedflvmux", nullptr);
  GstPad* pad = gst_element_request_pad_simple(mux, "video_0");
  GstCaps* caps = gst_caps_from_string("video/x-h264, stream-format=byte-stream, alignment=au");
  fail_unless(!gst_pad_query_accept_caps(pad, caps));
  gst_caps_unref(caps);
  gst_element_release_request_pad(mux, pad);
  gst_object_unref(pad);
  gst_object_unref(mux);
}
GST_END_TEST

std::string request(GstElement* mux, const char* templ, const char* name) {
  GstPadTemplate* t = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(mux), templ);
  GstPad* pad = gst_element_request_pad(mux, t, name, nullptr);
  if (!pad) return "-";
  std::string n = GST_PAD_NAME(pad);
  gst_object_unref(pad);
  return n;
}

// Names and track ids as upstream's eflvmux: video_N / audio_N is track N, video / audio track 0;
// a request without a name takes the lowest free id; a taken track or a bad name gives nothing.
GST_START_TEST(test_pad_requests_and_releases) {
  GstElement* mux = gst_element_factory_make("enhancedflvmux", nullptr);
  assert_str_eq(request(mux, "video", nullptr), "video");
  assert_str_eq(request(mux, "video_%u", "video_0"), "-");  // track 0 is taken
  assert_str_eq(request(mux, "video_%u", nullptr), "video_1");
  assert_str_eq(request(mux, "video_%u", "video_5"), "video_5");
  assert_str_eq(request(mux, "video_%u", nullptr), "video_2");
  assert_str_eq(request(mux, "video_%u", "video_256"), "-");
  assert_str_eq(request(mux, "audio_%u", "audio_255"), "audio_255");
  assert_str_eq(request(mux, "audio_%u", nullptr), "audio_0");
  assert_str_eq(request(mux, "audio", nullptr), "-");
  fail_unless_equals_int(gst_child_proxy_get_children_count(GST_CHILD_PROXY(mux)), 6);
  GstPad* v5 = gst_element_get_static_pad(mux, "video_5");
  fail_unless(v5 != nullptr);
  gst_element_release_request_pad(mux, v5);
  gst_object_unref(v5);
  assert_str_eq(request(mux, "video_%u", "video_5"), "video_5");
  GstPad* video = gst_element_get_static_pad(mux, "video");
  gst_element_release_request_pad(mux, video);
  gst_object_unref(video);
  assert_str_eq(request(mux, "video_%u", nullptr), "video_0");
  gst_object_unref(mux);
  // Released while stopped, requested again: a stream with the new set runs.
  const std::string avc = hex_of(rtmp::test::avc_record());
  GstElement* kept = nullptr;
  Input in{"video_3",
           video_caps("video/x-h264, stream-format=avc, alignment=au, "
                      "codec_data=(buffer)" +
                      avc),
           frames(3, 40, true)};
  MuxRun run = run_mux({in}, "enhancedflvmux", nullptr, &kept);
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  Demuxed d;
  demux(d, run.bytes);
  fail_unless(d.pads.count("video_3") == 1);
  GstPad* p3 = gst_element_get_static_pad(kept, "video_3");
  gst_element_release_request_pad(kept, p3);
  gst_object_unref(p3);
  fail_unless_equals_int(kept->numsinkpads, 0);
  gst_object_unref(kept);
}
GST_END_TEST

// eflvmux's launch syntax: the pad property set through the child proxy before the pad exists.
GST_START_TEST(test_track_mode_through_child_proxy) {
  const std::string avc = hex_of(rtmp::test::avc_record());
  const std::string caps = video_caps(
      "video/x-h264, stream-format=avc, alignment=au, "
      "codec_data=(buffer)" +
      avc);
  const std::string aac =
      "audio/mpeg, mpegversion=4, stream-format=raw, rate=44100, channels=2, "
      "codec_data=(buffer)121056e500";
  MuxRun run = run_mux({{"video", caps, frames(3, 40, true)}, {"audio", aac, frames(3, 23, false)}},
                       "enhancedflvmux video::flv-track-mode=non-multitrack "
                       "audio::flv-track-mode=multitrack");
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  expect_subset(run.caps.back(), "video/x-flv, enhanced=(boolean)true");
  for (const rtmp::FlvTag& t : flv_tags(run.bytes)) {
    if (t.type == rtmp::kFlvTagScript) continue;
    rtmp::MediaTag m = parse_tag(t);
    fail_unless(m.frames[0].codec.enhanced);
    fail_unless(m.multitrack == (t.type == rtmp::kFlvTagAudio ? rtmp::Multitrack::kOneTrack
                                                              : rtmp::Multitrack::kNone));
  }
  Demuxed d;
  demux(d, run.bytes);
  fail_unless(d.pads.count("video_0") && d.pads.count("audio_0"));
}
GST_END_TEST

// Written by filesink (downstream seeks): duration, filesize and a keyframes index are in the
// file's onMetaData at the end, and point at key frames.
GST_START_TEST(test_file_fields_written_at_the_end) {
  gchar* dir = g_dir_make_tmp("eflvmux-XXXXXX", nullptr);
  gchar* path = g_build_filename(dir, "out.flv", nullptr);
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  Input v{"video_0",
          video_caps("video/x-h265, stream-format=hvc1, alignment=au, "
                     "codec_data=(buffer)" +
                     hvc),
          frames(50, 40, true)};
  for (InBuf& b : v.bufs) b.data.resize(200, 7);
  MuxRun run =
      run_mux({v, {"audio_0", "audio/x-ac3, framed=true, alignment=frame", frames(60, 32, false)}},
              "enhancedflvmux", path);
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  std::vector<rtmp::FlvTag> tags = flv_tags(run.bytes);
  rtmp::FlvMetadata meta;
  fail_unless(rtmp::parse_flv_metadata(tags[0].data, meta, nullptr));
  fail_unless(meta.duration_ns.has_value());
  fail_unless_equals_uint64(*meta.duration_ns, 1960 * kMs);  // the last video frame's time
  fail_unless_equals_int(meta.keyframes.size(), 5);
  for (const rtmp::KeyframePoint& k : meta.keyframes) {
    fail_unless(k.position + 16 < run.bytes.size());
    const uint8_t* p = run.bytes.data() + k.position;
    fail_unless_equals_int(p[0], rtmp::kFlvTagVideo);
    fail_unless_equals_int(p[11] & 0xf0, 0x90);  // enhanced, key frame
  }
  rtmp::amf0::Value top;
  rtmp::amf0::decode(rtmp::ByteView(tags[0].data).subspan(13), top, nullptr);
  fail_unless_equals_uint64(top.get_number("filesize").value_or(0), run.bytes.size());
  Demuxed d;
  demux(d, run.bytes);
  expect_same_buffers(d.pads["video_0"], v.bufs, "file");
  g_unlink(path);
  g_rmdir(dir);
  g_free(path);
  g_free(dir);
}
GST_END_TEST

// The stream header (FLV header, onMetaData, sequence starts) in the caps' streamheader and as
// the first buffers, flagged HEADER (rtmpsink replays it after a reconnection).
GST_START_TEST(test_streamheader_and_rank) {
  const std::string hvc = hex_of(rtmp::test::hevc_record());
  MuxRun run = run_mux({{"video_0",
                         video_caps("video/x-h265, stream-format=hvc1, alignment=au, "
                                    "codec_data=(buffer)" +
                                    hvc),
                         frames(3, 40, true)},
                        {"audio_0", "audio/x-opus, rate=48000, channels=2", frames(3, 20, false)}});
  fail_unless(run.error.empty(), "%s", run.error.c_str());
  fail_unless_equals_int(run.caps.size(), 1);
  GstCaps* caps = gst_caps_from_string(run.caps[0].c_str());
  const GValue* sh = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
  fail_unless(sh && gst_value_array_get_size(sh) == 4);
  for (guint i = 0; i < 4; ++i) {
    GstBuffer* b = gst_value_get_buffer(gst_value_array_get_value(sh, i));
    Bytes data(gst_buffer_get_size(b));
    gst_buffer_extract(b, 0, data.data(), data.size());
    fail_unless(run.out[i].header && data == run.out[i].data, "header %u", i);
  }
  gst_caps_unref(caps);
  fail_unless(!run.out[4].header);
  GstElementFactory* f = gst_element_factory_find("enhancedflvmux");
  fail_unless_equals_int(gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f)), GST_RANK_NONE);
  gst_object_unref(f);
}
GST_END_TEST

Suite* enhancedflvmux_suite() {
  Suite* s = suite_create("enhancedflvmux");
  TCase* tc = tcase_create("mux");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_codec_round_trip);
  tcase_add_test(tc, test_multitrack_two_video_two_audio);
  tcase_add_test(tc, test_interleaving_order);
  tcase_add_test(tc, test_timestamps_and_composition_time);
  tcase_add_test(tc, test_onmetadata_content);
  tcase_add_test(tc, test_tags_to_onmetadata);
  tcase_add_test(tc, test_legacy_output_read_by_flvdemux);
  tcase_add_test(tc, test_caps_change_and_end);
  tcase_add_test(tc, test_bad_caps_error);
  tcase_add_test(tc, test_pad_requests_and_releases);
  tcase_add_test(tc, test_track_mode_through_child_proxy);
  tcase_add_test(tc, test_file_fields_written_at_the_end);
  tcase_add_test(tc, test_streamheader_and_rank);
  return s;
}

}  // namespace

GST_CHECK_MAIN(enhancedflvmux)
