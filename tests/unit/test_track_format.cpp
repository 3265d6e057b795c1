#include "flv/track_format.hpp"

#include <gtest/gtest.h>

#include "flv/codec_records.hpp"
#include "flv/flv_probe.hpp"
#include "flv/flv_writer.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

std::string format_of(MediaType media, Codec codec, std::optional<Bytes> record,
                      uint8_t flags = 0) {
  TrackConfig c;
  c.media = media;
  c.codec = codec;
  c.sequence_start = std::move(record);
  c.legacy_audio_flags = flags;
  TrackFormat t = track_format(c);
  if (t.state == TrackFormat::State::kNeedsConfig) return "needs-config";
  if (t.state == TrackFormat::State::kUnsupported) return "unsupported";
  return t.format.to_string();
}

std::string video(FourCc f, std::optional<Bytes> r = std::nullopt) {
  return format_of(MediaType::kVideo, Codec::four_cc(f), std::move(r));
}
std::string audio(FourCc f, std::optional<Bytes> r = std::nullopt) {
  return format_of(MediaType::kAudio, Codec::four_cc(f), std::move(r));
}
std::string legacy_audio(uint8_t id, uint8_t flags) {
  return format_of(MediaType::kAudio, Codec::legacy(id), Bytes{}, flags);
}

TEST(TrackFormat, EnhancedVideo) {
  EXPECT_EQ(video(fourcc::kHevc), "needs-config");
  EXPECT_EQ(video(fourcc::kHevc, Bytes{1, 2}),
            "video/x-h265, stream-format=(string)hvc1, alignment=(string)au, "
            "codec_data=(buffer)0102");
  EXPECT_EQ(video(fourcc::kAvc, Bytes{1}),
            "video/x-h264, stream-format=(string)avc, alignment=(string)au, "
            "codec_data=(buffer)01");
  EXPECT_EQ(video(fourcc::kVvc, Bytes{1}),
            "video/x-h266, stream-format=(string)vvc1, alignment=(string)au, "
            "codec_data=(buffer)01");
  EXPECT_EQ(video(fourcc::kAv1),
            "video/x-av1, stream-format=(string)obu-stream, alignment=(string)tu");
  EXPECT_EQ(
      video(fourcc::kAv1, test::av1_record()),
      "video/x-av1, stream-format=(string)obu-stream, alignment=(string)tu, "
      "profile=(string)high, bit-depth-luma=(uint)8, bit-depth-chroma=(uint)8, "
      "chroma-format=(string)4:4:4, codec_data=(buffer)812000000a0d200000043cffbcdaf92021a004");
  EXPECT_EQ(video(fourcc::kVp9, test::vp9_record()),
            "video/x-vp9, profile=(string)1, bit-depth-luma=(uint)8, bit-depth-chroma=(uint)8, "
            "chroma-format=(string)4:4:4");  // the vectors' encoders had 4:4:4 input
  EXPECT_EQ(video(fourcc::kVp9, test::hex("0220a2020202 0000")),  // without FullBox header
            "video/x-vp9, profile=(string)2, bit-depth-luma=(uint)10, bit-depth-chroma=(uint)10, "
            "chroma-format=(string)4:2:0");
  EXPECT_EQ(video(fourcc::kVp8), "video/x-vp8");
  EXPECT_EQ(video(make_fourcc("hev1")), "unsupported");
}

TEST(TrackFormat, LegacyVideoAsFlvdemuxWithHints) {
  TrackConfig c;
  c.media = MediaType::kVideo;
  c.codec = Codec::legacy(legacy_codec::kVp6);
  c.hints = VideoHints{320, 240, 29.97, 1, 1};
  TrackFormat t = track_format(c);
  EXPECT_EQ(t.format.to_string(),
            "video/x-vp6-flash, pixel-aspect-ratio=(fraction)1/1, width=(int)320, "
            "height=(int)240, framerate=(fraction)30000/1001");
  EXPECT_EQ(t.strip, 1);
  c.codec = Codec::legacy(legacy_codec::kSorensonH263);
  EXPECT_EQ(track_format(c).format.media_type, "video/x-flash-video");
  c.codec = Codec::legacy(legacy_codec::kScreenV2);
  EXPECT_EQ(track_format(c).state, TrackFormat::State::kUnsupported);
  c.codec = Codec::legacy(legacy_codec::kHevc);
  c.sequence_start = Bytes{7};
  c.hints = {};
  EXPECT_EQ(track_format(c).format.get("stream-format")->text, "hvc1");
}

TEST(TrackFormat, EnhancedAudio) {
  EXPECT_EQ(audio(fourcc::kAac), "needs-config");
  EXPECT_EQ(audio(fourcc::kAac, test::aac_config()),
            "audio/mpeg, mpegversion=(int)4, framed=(boolean)true, stream-format=(string)raw, "
            "rate=(int)44100, channels=(int)2, codec_data=(buffer)121056e500");
  EXPECT_EQ(audio(fourcc::kMp3), "audio/mpeg, mpegversion=(int)1, layer=(int)3");
  EXPECT_EQ(audio(fourcc::kOpus, test::opus_head()),
            "audio/x-opus, rate=(int)48000, channels=(int)2, channel-mapping-family=(int)0, "
            "stream-count=(int)1, coupled-count=(int)1, streamheader=<(buffer)"
            "4f707573486561640102380180bb0000000000, (buffer)4f707573546167731f00000047537472"
            "65616d657220656e636f64656420766f72626973636f6d6d656e740000000001>");
  EXPECT_EQ(audio(fourcc::kOpus, Bytes{}),
            "audio/x-opus, rate=(int)48000, channels=(int)2, channel-mapping-family=(int)0, "
            "stream-count=(int)1, coupled-count=(int)1");
  EXPECT_EQ(audio(fourcc::kFlac, test::flac_header()),
            "audio/x-flac, framed=(boolean)true, rate=(int)48000, channels=(int)1, "
            "streamheader=<(buffer)664c6143, (buffer)80000022120012000000c20004ff0bb800f00000"
            "2580bad7bf8f781a2330b6b7b8712dacb304>");
  EXPECT_EQ(audio(fourcc::kAc3), "audio/x-ac3, framed=(boolean)true, alignment=(string)frame");
  EXPECT_EQ(audio(fourcc::kEac3), "audio/x-eac3, framed=(boolean)true, alignment=(string)frame");
  EXPECT_EQ(audio(fourcc::kOpus, Bytes{1, 2, 3}), "unsupported");  // not an OpusHead
}

TEST(TrackFormat, OpusFromMultichannelConfig) {
  TrackConfig c;
  c.media = MediaType::kAudio;
  c.codec = Codec::four_cc(fourcc::kOpus);
  c.channels = MultichannelConfig{channel_order::kUnspecified, 4, {}, 0};
  EXPECT_EQ(track_format(c).format.to_string(),
            "audio/x-opus, rate=(int)48000, channels=(int)4, channel-mapping-family=(int)255, "
            "stream-count=(int)4, coupled-count=(int)0, channel-mapping=<(int)0, (int)1, "
            "(int)2, (int)3>");
}

TEST(TrackFormat, LegacyAudioAsFlvdemux) {
  EXPECT_EQ(legacy_audio(2, 0xf),
            "audio/mpeg, mpegversion=(int)1, layer=(int)3, parsed=(boolean)true, "
            "rate=(int)44100, channels=(int)2");
  EXPECT_EQ(legacy_audio(14, 0x2),
            "audio/mpeg, mpegversion=(int)1, layer=(int)3, "
            "parsed=(boolean)true, rate=(int)8000, channels=(int)1");
  EXPECT_EQ(legacy_audio(3, 0x6),
            "audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)11025, "
            "channels=(int)1");
  EXPECT_EQ(legacy_audio(0, 0x1),
            "audio/x-raw, format=(string)U8, layout=(string)interleaved, "
            "rate=(int)5512, channels=(int)2");
  EXPECT_EQ(legacy_audio(1, 0xd),
            "audio/x-adpcm, layout=(string)swf, rate=(int)44100, channels=(int)2");
  EXPECT_EQ(legacy_audio(6, 0x2), "audio/x-nellymoser, rate=(int)5512, channels=(int)1");
  EXPECT_EQ(legacy_audio(5, 0x2), "audio/x-nellymoser, rate=(int)8000, channels=(int)1");
  EXPECT_EQ(legacy_audio(7, 0x2), "audio/x-alaw, rate=(int)8000, channels=(int)1");
  EXPECT_EQ(legacy_audio(8, 0x2), "audio/x-mulaw, rate=(int)8000, channels=(int)1");
  const std::string speex = legacy_audio(11, 0x3);
  EXPECT_EQ(speex.substr(0, 44), "audio/x-speex, streamheader=<(buffer)5370656");
  EXPECT_NE(speex.find("rate=(int)16000, channels=(int)1"), std::string::npos) << speex;
  EXPECT_NE(speex.find("(buffer)0b0000004e6f20636f6d6d656e74730000000001>"), std::string::npos);
  EXPECT_EQ(format_of(MediaType::kAudio, Codec::legacy(10), std::nullopt, 0xf), "needs-config");
  EXPECT_EQ(legacy_audio(15, 0), "unsupported");
}

TEST(CodecRecords, Parsers) {
  auto aac = parse_aac_config(test::hex("1190"));  // LC, 48 kHz, stereo
  ASSERT_TRUE(aac);
  EXPECT_EQ(aac->rate, 48000u);
  EXPECT_EQ(aac->channels, 2);
  EXPECT_FALSE(parse_aac_config(test::hex("12")));
  EXPECT_EQ(flv_speex_header().size(), 80u);
  auto opus = parse_opus_head(test::opus_head());
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->input_rate, 48000u);
  for (size_t n = 0; n < test::opus_head().size(); ++n)
    EXPECT_FALSE(parse_opus_head(ByteView(test::opus_head()).first(n))) << n;
  const Bytes flac = test::flac_header();
  auto f = parse_flac_header(flac);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rate, 48000u);
  EXPECT_EQ(f->channels, 1);
  EXPECT_EQ(f->bits, 16);
  for (size_t n = 4; n < flac.size(); ++n)
    EXPECT_FALSE(parse_flac_header(ByteView(flac).first(n))) << n;
  EXPECT_FALSE(parse_av1_config(test::hex("0120")));
  int64_t num = 0;
  int64_t den = 0;
  guess_framerate(23.976, num, den);
  EXPECT_EQ(num * 1000 / den, 23976);
  EXPECT_EQ(den, 1001);
  guess_framerate(12.5, num, den);
  EXPECT_EQ(num, 25);
  EXPECT_EQ(den, 2);
}

Bytes probe_file(std::initializer_list<std::pair<uint8_t, Bytes>> tags) {
  Bytes out;
  write_flv_header(true, true, out);
  for (const auto& [type, body] : tags) write_flv_tag(type, 0, body, out);
  return out;
}

FlvProbeResult probe(const Bytes& in, size_t available) {
  FlvProber p;
  while (p.result() == FlvProbeResult::kPending) {
    const FlvProber::Need n = p.need();
    const size_t have = n.offset < available ? available - n.offset : 0;
    const size_t size = std::min(n.size, have);
    const bool at_end = available == in.size() && n.offset + n.size > in.size();
    p.give(ByteView(in).subspan(std::min<size_t>(n.offset, in.size()), size), at_end);
  }
  return p.result();
}

TEST(FlvProbe, EnhancedLegacyAndShortInput) {
  const Bytes meta(300, 0x05);
  const Bytes enhanced = probe_file(
      {{18, meta}, {8, {0xaf, 0, 0x12, 0x10}}, {9, test::cat({{0x90}, test::fcc("hvc1")})}});
  const Bytes legacy_hevc = probe_file({{9, {0x1c, 0, 0, 0, 0}}});
  const Bytes legacy = probe_file({{18, meta}, {9, {0x17, 0, 0, 0, 0}}, {8, {0xaf, 0}}});
  const Bytes opus = probe_file({{8, test::cat({{0x90}, test::fcc("Opus")})}});
  EXPECT_EQ(probe(enhanced, enhanced.size()), FlvProbeResult::kEnhanced);
  EXPECT_EQ(probe(legacy_hevc, legacy_hevc.size()), FlvProbeResult::kEnhanced);
  EXPECT_EQ(probe(opus, opus.size()), FlvProbeResult::kEnhanced);
  EXPECT_EQ(probe(legacy, legacy.size()), FlvProbeResult::kLegacy);
  EXPECT_EQ(probe(test::hex("4d5a9000"), 4), FlvProbeResult::kNotFlv);
  // Less of the stream visible: never a wrong answer, only "unknown".
  for (size_t n = 0; n < enhanced.size(); ++n) {
    const FlvProbeResult r = probe(enhanced, n);
    EXPECT_TRUE(r == FlvProbeResult::kUnknown || r == FlvProbeResult::kEnhanced) << n;
    const FlvProbeResult l = probe(legacy, std::min(n, legacy.size()));
    EXPECT_TRUE(l == FlvProbeResult::kUnknown || l == FlvProbeResult::kLegacy) << n;
  }
  Bytes many;
  write_flv_header(true, true, many);
  for (int i = 0; i < 20; ++i) write_flv_tag(9, 0, Bytes{0x27, 1, 0, 0, 0}, many);
  EXPECT_EQ(probe(many, many.size()), FlvProbeResult::kLegacy);
}

}  // namespace
}  // namespace rtmp
