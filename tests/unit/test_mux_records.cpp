// The muxer's helpers: av1C from a temporal unit (checked against FFmpeg's av1C for the same
// stream), the records made from stream parameters, the per-track tag decisions, the
// interleaving rule and the onMetaData writer (read back with the demuxer's reader).
#include <gtest/gtest.h>

#include <cmath>

#include "flv/av1_sequence.hpp"
#include "flv/flv_metadata.hpp"
#include "flv/mux_interleave.hpp"
#include "flv/mux_metadata.hpp"
#include "flv/mux_records.hpp"
#include "flv/mux_track.hpp"
#include "tag_vectors.hpp"

namespace rtmp {
namespace {

using test::hex;

// libaom through FFmpeg 5.1 (320x240 4:2:0): the first temporal unit's start (temporal
// delimiter, sequence header, the start of the frame OBU) and the av1C FFmpeg wrote into MP4.
const Bytes kAomTu =
    hex("1200 0a0b000000043cffbcdaf90040 328e101400a0b010b44cf0919afd29e1e910496e0cc8b4c038ee1519"
        "5548643add3f1cd7");
const Bytes kAomAv1c = hex("81000c00 0a0b000000043cffbcdaf90040");

// MSB-first bit writer for sequence headers made by the tests.
struct BitWriter {
  Bytes out;
  size_t bits = 0;
  void put(uint32_t v, unsigned n) {
    for (unsigned i = n; i-- > 0;) {
      if (bits % 8 == 0) out.push_back(0);
      out.back() |= static_cast<uint8_t>(((v >> i) & 1) << (7 - bits % 8));
      ++bits;
    }
  }
};

TEST(Av1Sequence, ConfigFromTemporalUnitMatchesFfmpeg) {
  EXPECT_EQ(av1_config_from_temporal_unit(kAomTu), kAomAv1c);
  // The libaom 4:4:4 record of the tag vectors: its OBU after a temporal delimiter.
  const Bytes record = test::av1_record();
  Bytes tu = hex("1200");
  tu.insert(tu.end(), record.begin() + 4, record.end());
  EXPECT_EQ(av1_config_from_temporal_unit(tu), record);
}

TEST(Av1Sequence, ObuWithoutSizeFieldGetsOne) {
  // The sequence header as the last OBU, without obu_has_size_field.
  Bytes tu = hex("1200 08 000000043cffbcdaf90040");
  EXPECT_EQ(find_av1_sequence_header_obu(tu), hex("0a0b000000043cffbcdaf90040"));
  EXPECT_EQ(av1_config_from_temporal_unit(tu), kAomAv1c);
  // With an extension header (temporal/spatial ids) it is kept.
  Bytes ext = hex("1200 0e 08 0b 000000043cffbcdaf90040");
  EXPECT_EQ(find_av1_sequence_header_obu(ext), hex("0e080b000000043cffbcdaf90040"));
}

TEST(Av1Sequence, MalformedUnits) {
  EXPECT_EQ(find_av1_sequence_header_obu(hex("1200 328e1014")), std::nullopt);  // none
  EXPECT_EQ(find_av1_sequence_header_obu(hex("9200")), std::nullopt);           // forbidden bit
  EXPECT_EQ(find_av1_sequence_header_obu(hex("1205 00")), std::nullopt);        // size past the end
  EXPECT_EQ(find_av1_sequence_header_obu(hex("12ffffffffffffffffff")), std::nullopt);
  EXPECT_EQ(find_av1_sequence_header_obu(Bytes{}), std::nullopt);
  // Every truncation of the unit: no crash; a complete sequence header OBU or nothing.
  for (size_t n = 0; n <= kAomTu.size(); ++n) {
    ByteView part(kAomTu.data(), n);
    auto av1c = av1_config_from_temporal_unit(part);
    if (n >= 15) {
      EXPECT_EQ(av1c, kAomAv1c) << n;
    } else {
      EXPECT_EQ(av1c, std::nullopt) << n;
    }
  }
}

TEST(Av1Sequence, EveryTruncatedSequenceHeaderFails) {
  const Bytes payload = hex("000000043cffbcdaf90040");
  auto full = parse_av1_sequence_header(payload);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->profile, 0);
  EXPECT_EQ(full->level, 0);
  EXPECT_EQ(full->max_width, 320u);
  EXPECT_EQ(full->max_height, 240u);
  EXPECT_TRUE(full->subsampling_x && full->subsampling_y);
  // The last byte holds film_grain_params_present and trailing bits only.
  for (size_t n = 0; n + 1 < payload.size(); ++n)
    EXPECT_EQ(parse_av1_sequence_header(ByteView(payload.data(), n)), std::nullopt) << n;
}

// A sequence header with timing info, a decoder model, two operating points (the first at level
// 4.0 high tier... level 8 (4.0) takes a tier bit), 10-bit 4:2:0 with a colour description.
Bytes rich_sequence_header() {
  BitWriter w;
  w.put(0, 3);  // seq_profile 0
  w.put(0, 1);  // still_picture
  w.put(0, 1);  // reduced_still_picture_header
  w.put(1, 1);  // timing_info_present_flag
  w.put(1, 32);
  w.put(25, 32);
  w.put(1, 1);       // equal_picture_interval
  w.put(0b010, 3);   // uvlc: 1
  w.put(1, 1);       // decoder_model_info_present_flag
  w.put(4, 5);       // buffer_delay_length_minus_1 (5 bits)
  w.put(1, 32);      // num_units_in_decoding_tick
  w.put(3, 5);       // buffer_removal_time_length_minus_1
  w.put(3, 5);       // frame_presentation_time_length_minus_1
  w.put(1, 1);       // initial_display_delay_present_flag
  w.put(1, 5);       // operating_points_cnt_minus_1: two
  w.put(0x101, 12);  // operating_point_idc
  w.put(8, 5);       // seq_level_idx 8 (4.0)
  w.put(1, 1);       // seq_tier
  w.put(1, 1);       // decoder_model_present_for_this_op
  w.put(7, 5);
  w.put(9, 5);
  w.put(0, 1);
  w.put(1, 1);  // initial_display_delay_present_for_this_op
  w.put(3, 4);
  w.put(0x100, 12);
  w.put(4, 5);   // second point, level 2.0
  w.put(0, 1);   // no decoder model for it
  w.put(0, 1);   // no display delay
  w.put(10, 4);  // frame_width_bits_minus_1
  w.put(10, 4);
  w.put(1919, 11);
  w.put(1079, 11);
  w.put(0, 1);  // frame_id_numbers_present_flag
  w.put(0, 3);
  w.put(0, 4);
  w.put(1, 1);  // enable_order_hint
  w.put(0, 2);
  w.put(1, 1);  // seq_choose_screen_content_tools
  w.put(1, 1);  // seq_choose_integer_mv
  w.put(6, 3);  // order_hint_bits_minus_1
  w.put(0, 3);  // superres, cdef, restoration
  w.put(1, 1);  // high_bitdepth
  w.put(0, 1);  // mono_chrome
  w.put(1, 1);  // color_description_present_flag
  w.put(9, 8);
  w.put(16, 8);
  w.put(9, 8);
  w.put(0, 1);  // color_range
  w.put(2, 2);  // chroma_sample_position (colocated)
  w.put(0, 1);  // separate_uv_delta_q
  w.put(0, 1);  // film_grain_params_present
  w.put(1, 1);  // trailing bit
  return w.out;
}

TEST(Av1Sequence, TimingDecoderModelAndOperatingPoints) {
  const Bytes payload = rich_sequence_header();
  auto s = parse_av1_sequence_header(payload);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->level, 8);
  EXPECT_EQ(s->tier, 1);
  EXPECT_EQ(s->max_width, 1920u);
  EXPECT_EQ(s->max_height, 1080u);
  EXPECT_TRUE(s->high_bitdepth);
  EXPECT_EQ(s->chroma_sample_position, 2);
  Bytes tu = {0x0a, static_cast<uint8_t>(payload.size())};
  tu.insert(tu.end(), payload.begin(), payload.end());
  auto av1c = av1_config_from_temporal_unit(tu);
  ASSERT_TRUE(av1c.has_value());
  EXPECT_EQ(Bytes(av1c->begin(), av1c->begin() + 4), hex("81 08 ce 00"));
  auto read = parse_av1_config(*av1c);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->bit_depth, 10);
}

TEST(Av1Sequence, ReducedStillPictureHeader) {
  BitWriter w;
  w.put(1, 3);  // profile 1 (4:4:4)
  w.put(1, 1);  // still_picture
  w.put(1, 1);  // reduced_still_picture_header
  w.put(5, 5);  // seq_level_idx
  w.put(7, 4);
  w.put(7, 4);
  w.put(99, 8);
  w.put(49, 8);
  w.put(0, 3);  // 128x128, filter intra, intra edge
  w.put(0, 3);  // superres, cdef, restoration
  w.put(0, 1);  // high_bitdepth
  w.put(0, 1);  // color_description_present_flag
  w.put(1, 1);  // color_range
  w.put(0, 2);
  auto s = parse_av1_sequence_header(w.out);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->profile, 1);
  EXPECT_EQ(s->level, 5);
  EXPECT_EQ(s->max_width, 100u);
  EXPECT_EQ(s->max_height, 50u);
  EXPECT_FALSE(s->subsampling_x || s->subsampling_y);
}

TEST(MuxRecords, VpConfigRoundTripsAndLevels) {
  VpConfig c;
  c.profile = 2;
  c.level = 31;
  c.bit_depth = 10;
  c.chroma_subsampling = 1;
  c.full_range = true;
  c.primaries = 9;
  c.transfer = 16;
  c.matrix = 9;
  const Bytes r = write_vp_config(c);
  EXPECT_EQ(r, hex("01000000 021fa3 091009 0000"));
  auto back = parse_vp_config(r);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->profile, 2);
  EXPECT_EQ(back->level, 31);
  EXPECT_EQ(back->bit_depth, 10);
  EXPECT_EQ(back->chroma_subsampling, 1);
  EXPECT_TRUE(back->full_range);
  EXPECT_EQ(back->matrix, 9);
  EXPECT_EQ(vp9_level(320, 240, 25), 20);
  EXPECT_EQ(vp9_level(640, 360, 30), 21);
  EXPECT_EQ(vp9_level(1920, 1080, 30), 40);
  EXPECT_EQ(vp9_level(1920, 1080, 60), 41);
  EXPECT_EQ(vp9_level(3840, 2160, 60), 51);
  EXPECT_EQ(vp9_level(1920, 1080, 0), 40);
  EXPECT_EQ(vp9_level(0, 0, 30), 0);
  EXPECT_EQ(vp9_level(16384, 16384, 30), 0);
}

TEST(MuxRecords, OpusHeadFromParameters) {
  OpusParams p;
  auto head = make_opus_head(p);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(*head, hex("4f707573486561640102000080bb0000000000"));
  p.channels = 6;
  p.family = 1;
  p.stream_count = 4;
  p.coupled_count = 2;
  p.mapping = hex("000401020305");
  head = make_opus_head(p);
  ASSERT_TRUE(head.has_value());
  auto back = parse_opus_head(*head);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->channels, 6);
  EXPECT_EQ(back->family, 1);
  EXPECT_EQ(back->stream_count, 4);
  EXPECT_EQ(back->coupled_count, 2);
  EXPECT_EQ(back->mapping, p.mapping);
  p.mapping.pop_back();
  EXPECT_EQ(make_opus_head(p), std::nullopt);  // one entry per channel
  OpusParams five;
  five.channels = 5;
  EXPECT_EQ(make_opus_head(five), std::nullopt);  // family 0 is mono or stereo
  five.channels = 0;
  EXPECT_EQ(make_opus_head(five), std::nullopt);
}

TEST(MuxRecords, FlacSequenceStartFromEveryHeaderForm) {
  // flacenc's streamheader (GStreamer 1.22): the Ogg FLAC mapping's first packet, then
  // VORBIS_COMMENT.
  const Bytes ogg_first =
      hex("7f464c414301000002664c614300000022120012000000000000000bb802f000000000000000000000000000"
          "00000000000000");
  const Bytes comment = hex("840000046200000000");
  Bytes expected = hex("664c6143 80000022");
  expected.insert(expected.end(), ogg_first.begin() + 17, ogg_first.end());
  ASSERT_EQ(expected.size(), 4u + 4 + 34);
  EXPECT_EQ(flac_sequence_start({ogg_first, comment}), expected);
  // "fLaC" and the blocks in one buffer (FFmpeg's record of the tag vectors), and in pieces.
  const Bytes ffmpeg = test::flac_header();
  auto one = flac_sequence_start({ffmpeg});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(parse_flac_header(*one)->rate, 48000u);
  EXPECT_EQ((*one)[4], 0x80);
  const Bytes marker = hex("664c6143");
  const Bytes streaminfo(ffmpeg.begin() + 4, ffmpeg.end());
  EXPECT_EQ(flac_sequence_start({marker, streaminfo, comment}), one);
  // "fLaC" and the blocks split anywhere into two header buffers: the same sequence start.
  const Bytes blocks = test::cat({ffmpeg, comment});
  for (size_t cut = 0; cut <= blocks.size(); ++cut) {
    const ByteView all(blocks);
    EXPECT_EQ(flac_sequence_start({all.first(cut), all.subspan(cut)}), one) << cut;
  }
  EXPECT_EQ(flac_sequence_start({streaminfo}), std::nullopt);       // no marker
  EXPECT_EQ(flac_sequence_start({marker, comment}), std::nullopt);  // STREAMINFO not first
  EXPECT_EQ(flac_sequence_start({hex("7f464c4143")}), std::nullopt);
  EXPECT_EQ(flac_sequence_start({}), std::nullopt);
}

MuxTrack track(MediaType media, uint8_t id, CodecKind codec, Bytes record = {}) {
  MuxTrack t;
  t.media = media;
  t.id = id;
  t.codec = codec;
  t.sequence_start = std::move(record);
  return t;
}

TEST(MuxTrack, CodecAndMultitrackChoices) {
  MuxTrack avc = track(MediaType::kVideo, 0, CodecKind::kH264, test::avc_record());
  EXPECT_EQ(mux_codec(avc), Codec::legacy(legacy_codec::kAvc));
  EXPECT_EQ(mux_multitrack(avc), Multitrack::kNone);
  avc.mode = TrackMode::kEnhanced;
  EXPECT_EQ(mux_codec(avc), Codec::four_cc(fourcc::kAvc));
  EXPECT_EQ(mux_multitrack(avc), Multitrack::kNone);
  avc.mode = TrackMode::kMultitrack;
  EXPECT_EQ(mux_multitrack(avc), Multitrack::kOneTrack);
  avc.mode = TrackMode::kLegacy;
  avc.id = 1;  // only enhanced multitrack tags carry a track id
  EXPECT_EQ(mux_codec(avc), Codec::four_cc(fourcc::kAvc));
  EXPECT_EQ(mux_multitrack(avc), Multitrack::kOneTrack);
  MuxTrack hevc = track(MediaType::kVideo, 0, CodecKind::kH265, test::hevc_record());
  EXPECT_EQ(mux_codec(hevc), Codec::four_cc(fourcc::kHevc));
  EXPECT_EQ(mux_multitrack(hevc), Multitrack::kNone);
  EXPECT_TRUE(mux_has_sequence_end(hevc));
  EXPECT_EQ(mux_codec_id_number(hevc), 1752589105.0);  // "hvc1"
  MuxTrack mp3 = track(MediaType::kAudio, 0, CodecKind::kMp3);
  mp3.sample_rate = 8000;
  EXPECT_EQ(mux_codec(mp3), Codec::legacy(legacy_codec::kMp3_8k));
  mp3.sample_rate = 48000;
  mp3.channels = 2;
  EXPECT_EQ(mux_codec(mp3), Codec::legacy(legacy_codec::kMp3));
  EXPECT_EQ(mux_legacy_audio_flags(mp3), 0x0f);
  mp3.sample_rate = 22050;
  mp3.channels = 1;
  EXPECT_EQ(mux_legacy_audio_flags(mp3), 0x0a);
  EXPECT_FALSE(mux_has_sequence_end(mp3));
  MuxTrack aac = track(MediaType::kAudio, 0, CodecKind::kAac, test::aac_config());
  aac.sample_rate = 8000;
  EXPECT_EQ(mux_legacy_audio_flags(aac), 0x0f);  // the FLV spec's fixed flags for AAC
  EXPECT_FALSE(mux_has_sequence_end(aac));
  aac.mode = TrackMode::kEnhanced;
  EXPECT_TRUE(mux_has_sequence_end(aac));
  EXPECT_TRUE(mux_has_sequence_end(avc));  // legacy AVC end of sequence
}

TEST(MuxTrack, Validation) {
  std::string error;
  EXPECT_TRUE(validate_mux_track(track(MediaType::kVideo, 0, CodecKind::kH265, test::hevc_record()),
                                 &error));
  EXPECT_FALSE(validate_mux_track(track(MediaType::kVideo, 0, CodecKind::kH264), &error));
  EXPECT_NE(error.find("codec_data"), std::string::npos);
  EXPECT_FALSE(validate_mux_track(track(MediaType::kAudio, 0, CodecKind::kH264, test::avc_record()),
                                  &error));
  EXPECT_FALSE(
      validate_mux_track(track(MediaType::kVideo, 0, CodecKind::kH264, hex("00ff")), &error));
  EXPECT_FALSE(
      validate_mux_track(track(MediaType::kAudio, 0, CodecKind::kOpus, hex("4f707573")), &error));
  EXPECT_FALSE(
      validate_mux_track(track(MediaType::kAudio, 0, CodecKind::kFlac, hex("664c6143")), &error));
  EXPECT_FALSE(validate_mux_track(track(MediaType::kAudio, 0, CodecKind::kAc3, hex("00")), &error));
  EXPECT_TRUE(validate_mux_track(track(MediaType::kAudio, 3, CodecKind::kEac3), &error));
  EXPECT_TRUE(validate_mux_track(
      track(MediaType::kVideo, 0, CodecKind::kVp8, write_vp_config(VpConfig{})), &error));
  MuxTrack av1 = track(MediaType::kVideo, 0, CodecKind::kAv1);
  EXPECT_FALSE(validate_mux_track(av1, &error));
  av1.av1_config_from_frames = true;
  EXPECT_TRUE(validate_mux_track(av1, &error));
  EXPECT_FALSE(
      validate_mux_track(track(MediaType::kVideo, 0, CodecKind::kAv1, hex("0100000000")), &error));
  EXPECT_FALSE(validate_mux_track(track(MediaType::kVideo, 0, CodecKind::kUnknown), &error));
}

TEST(MuxInterleave, LowestDecodingTimeOnceEveryInputHasAFrame) {
  using V = std::vector<InputHead>;
  const auto video = MediaType::kVideo;
  const auto audio = MediaType::kAudio;
  EXPECT_EQ(choose_next(V{{video, 0, 40, false}, {audio, 0, 20, false}}, false).index, 1u);
  EXPECT_EQ(choose_next(V{{video, 0, 40, false}, {audio, 0, {}, false}}, false).step,
            NextStep::kWait);
  // A live timeout does not wait for the input without a frame.
  Next n = choose_next(V{{video, 0, 40, false}, {audio, 0, {}, false}}, true);
  EXPECT_EQ(n.step, NextStep::kWrite);
  EXPECT_EQ(n.index, 0u);
  EXPECT_EQ(choose_next(V{{video, 0, {}, false}}, true).step, NextStep::kWait);
  // Ended inputs are not waited for; all ended is the end.
  EXPECT_EQ(choose_next(V{{video, 0, 40, false}, {audio, 0, {}, true}}, false).step,
            NextStep::kWrite);
  EXPECT_EQ(choose_next(V{{video, 0, {}, true}, {audio, 0, {}, true}}, false).step,
            NextStep::kDone);
  EXPECT_EQ(choose_next(V{}, false).step, NextStep::kDone);
  // Ties: video first, then the lower track id; negative times are times.
  EXPECT_EQ(
      choose_next(V{{audio, 0, 40, false}, {video, 1, 40, false}, {video, 0, 40, false}}, false)
          .index,
      2u);
  EXPECT_EQ(choose_next(V{{video, 0, 0, false}, {video, 1, -5, false}}, false).index, 1u);
}

TEST(MuxMetadata, TracksAndMapsReadBack) {
  MuxTrack v0 = track(MediaType::kVideo, 0, CodecKind::kH265, test::hevc_record());
  v0.width = 1280;
  v0.height = 720;
  v0.framerate = 30;
  v0.par_x = 1;
  v0.par_y = 1;
  v0.datarate_kbps = 2500;
  MuxTrack v1 = track(MediaType::kVideo, 1, CodecKind::kAv1, test::av1_record());
  v1.width = 640;
  v1.height = 360;
  v1.framerate = 30;
  MuxTrack a0 = track(MediaType::kAudio, 0, CodecKind::kAac, test::aac_config());
  a0.sample_rate = 44100;
  a0.channels = 2;
  MuxTrack a2 = track(MediaType::kAudio, 2, CodecKind::kOpus, test::opus_head());
  a2.sample_rate = 48000;
  a2.channels = 2;
  const Bytes data = write_mux_metadata({a2, v1, a0, v0}, {{"encoder", "test"}}, false, 0, nullptr);
  FlvMetadata m;
  std::string error;
  ASSERT_TRUE(parse_flv_metadata(data, m, &error)) << error;
  EXPECT_EQ(m.video.codec_id, static_cast<double>(fourcc::kHevc));
  EXPECT_EQ(m.video.video.width, 1280u);
  EXPECT_EQ(m.video.video.framerate, 30);
  EXPECT_EQ(m.video.datarate_kbps, 2500);
  EXPECT_EQ(m.audio.codec_id, 10.0);
  ASSERT_EQ(m.video_tracks.size(), 1u);
  EXPECT_EQ(m.video_tracks[0].id, 1);
  EXPECT_EQ(m.video_tracks[0].codec_id, static_cast<double>(fourcc::kAv1));
  EXPECT_EQ(m.video_hints(1).width, 640u);
  ASSERT_EQ(m.audio_tracks.size(), 1u);
  EXPECT_EQ(m.audio_tracks[0].id, 2);
  EXPECT_EQ(m.audio_tracks[0].codec_id, static_cast<double>(fourcc::kOpus));
  EXPECT_EQ(m.duration_ns, std::nullopt);
  ASSERT_EQ(m.texts.size(), 1u);
  EXPECT_EQ(m.texts[0].value, "test");
  amf0::Value top;
  amf0::decode(ByteView(data).subspan(13), top, &error);
  EXPECT_EQ(top.get("audiosamplerate")->number(), 44100);
  EXPECT_TRUE(top.get("stereo")->boolean());
  EXPECT_EQ(top.get("AspectRatioX")->number(), 1);
  EXPECT_EQ(top.get("audioTrackIdInfoMap")->get("2")->get("samplerate")->number(), 48000);
  EXPECT_EQ(top.get("audioTrackIdInfoMap")->get("2")->get("channels")->number(), 2);
}

TEST(MuxMetadata, FileFieldsRegionIsRewrittenInPlace) {
  MuxTrack v0 = track(MediaType::kVideo, 0, CodecKind::kH264, test::avc_record());
  MetadataRegion region;
  Bytes data = write_mux_metadata({v0}, {}, true, 2.5, &region);
  EXPECT_EQ(region.size, file_fields_size());
  FlvMetadata m;
  ASSERT_TRUE(parse_flv_metadata(data, m, nullptr));
  EXPECT_EQ(m.duration_ns, 2500000000u);
  EXPECT_TRUE(m.keyframes.empty());
  for (size_t points : {size_t{0}, size_t{3}, kMuxIndexCapacity, size_t{1000}}) {
    std::vector<IndexPoint> index;
    for (size_t i = 0; i < points; ++i)
      index.push_back({static_cast<double>(i) * 0.5, 1000.0 + static_cast<double>(i) * 10});
    const Bytes fields = write_file_fields(7.25, 123456, index);
    ASSERT_EQ(fields.size(), region.size) << points;
    Bytes patched = data;
    std::copy(fields.begin(), fields.end(),
              patched.begin() + static_cast<ptrdiff_t>(region.offset));
    ASSERT_TRUE(parse_flv_metadata(patched, m, nullptr)) << points;
    EXPECT_EQ(m.duration_ns, 7250000000u);
    const size_t skip = points > kMuxIndexCapacity ? 1 + points / kMuxIndexCapacity : 1;
    const size_t expected = (points + skip - 1) / skip;
    ASSERT_EQ(m.keyframes.size(), expected) << points;
    if (points) {
      EXPECT_EQ(m.keyframes[0].position, 1000u);
      EXPECT_EQ(m.keyframes.back().time_ns,
                static_cast<uint64_t>(std::llround(index[(expected - 1) * skip].time_s * 1e9)));
    }
  }
}

}  // namespace
}  // namespace rtmp
