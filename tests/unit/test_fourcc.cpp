#include "flv/fourcc.hpp"

#include <gtest/gtest.h>

#include "flv/media_tag.hpp"

namespace rtmp {
namespace {

TEST(FourCc, BigEndianAsciiAsTheSpecSays) {
  // E-RTMP v2, "Enhancing onMetaData": "Opus" == 0x4F707573 == 1332770163.0, "av01" ==
  // 0x61763031 == 1635135537.0.
  static_assert(make_fourcc("Opus") == 0x4F707573u);
  static_assert(make_fourcc("av01") == 0x61763031u);
  EXPECT_EQ(static_cast<double>(fourcc::kOpus), 1332770163.0);
  EXPECT_EQ(static_cast<double>(fourcc::kAv1), 1635135537.0);
  EXPECT_EQ(fourcc::kAvc, 0x61766331u);
  EXPECT_EQ(fourcc::kHevc, 0x68766331u);
  EXPECT_EQ(fourcc::kMp3, 0x2e6d7033u);
  EXPECT_EQ(fourcc::kAc3, 0x61632d33u);
}

TEST(FourCc, ToString) {
  EXPECT_EQ(fourcc_to_string(fourcc::kFlac), "fLaC");
  EXPECT_EQ(fourcc_to_string(fourcc::kEac3), "ec-3");
  EXPECT_EQ(fourcc_to_string(0x00615c7f), "\\x00a\\x5c\\x7f");
}

TEST(FourCc, CodecKinds) {
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kAvc), CodecKind::kH264);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kHevc), CodecKind::kH265);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kVvc), CodecKind::kH266);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kAv1), CodecKind::kAv1);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kVp9), CodecKind::kVp9);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kVp8), CodecKind::kVp8);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kAac), CodecKind::kAac);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kMp3), CodecKind::kMp3);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kOpus), CodecKind::kOpus);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kFlac), CodecKind::kFlac);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kAc3), CodecKind::kAc3);
  EXPECT_EQ(codec_kind_of_fourcc(fourcc::kEac3), CodecKind::kEac3);
  EXPECT_EQ(codec_kind_of_fourcc(make_fourcc("hev1")), CodecKind::kUnknown);
  for (CodecKind k :
       {CodecKind::kH264, CodecKind::kH265, CodecKind::kAv1, CodecKind::kOpus, CodecKind::kEac3})
    EXPECT_EQ(codec_kind_of_fourcc(fourcc_of(k)), k);
  EXPECT_EQ(fourcc_of(CodecKind::kLegacyVideo), 0u);

  EXPECT_EQ(codec_kind_of_legacy_video(7), CodecKind::kH264);
  EXPECT_EQ(codec_kind_of_legacy_video(12), CodecKind::kH265);
  EXPECT_EQ(codec_kind_of_legacy_video(13), CodecKind::kAv1);
  EXPECT_EQ(codec_kind_of_legacy_video(4), CodecKind::kLegacyVideo);
  EXPECT_EQ(codec_kind_of_legacy_video(9), CodecKind::kUnknown);
  EXPECT_EQ(codec_kind_of_legacy_audio(10), CodecKind::kAac);
  EXPECT_EQ(codec_kind_of_legacy_audio(2), CodecKind::kMp3);
  EXPECT_EQ(codec_kind_of_legacy_audio(14), CodecKind::kMp3);
  EXPECT_EQ(codec_kind_of_legacy_audio(11), CodecKind::kLegacyAudio);
  EXPECT_EQ(codec_kind_of_legacy_audio(9), CodecKind::kUnknown);

  EXPECT_EQ(codec_kind(MediaType::kVideo, Codec::legacy(7)), CodecKind::kH264);
  EXPECT_EQ(codec_kind(MediaType::kAudio, Codec::legacy(7)), CodecKind::kLegacyAudio);
  EXPECT_EQ(codec_kind(MediaType::kAudio, Codec::four_cc(fourcc::kOpus)), CodecKind::kOpus);
  EXPECT_EQ(codec_kind(MediaType::kVideo, Codec{false, 300}), CodecKind::kUnknown);
}

TEST(FourCc, CompositionTime) {
  EXPECT_TRUE(fourcc_has_composition_time(fourcc::kAvc));
  EXPECT_TRUE(fourcc_has_composition_time(fourcc::kHevc));
  EXPECT_TRUE(fourcc_has_composition_time(fourcc::kVvc));
  EXPECT_FALSE(fourcc_has_composition_time(fourcc::kAv1));
  EXPECT_FALSE(fourcc_has_composition_time(fourcc::kVp9));
  EXPECT_FALSE(fourcc_has_composition_time(make_fourcc("hev1")));
}

}  // namespace
}  // namespace rtmp
