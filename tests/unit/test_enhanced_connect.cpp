// Enhanced RTMP v2 negotiation: what connect announces, what a server's _result says back.
#include <gtest/gtest.h>

#include "rtmp/enhanced_connect.hpp"

namespace rtmp {
namespace {

using amf0::Value;

TEST(EnhancedConnect, PublisherAnnouncesWhatItCanSend) {
  EnhancedCapabilities c = client_capabilities(true);
  EXPECT_EQ(c.fourcc_list, (std::vector<std::string>{"avc1", "hvc1", "av01", "vp09", "vp08"}));
  EXPECT_EQ(c.video.size(), 5u);
  EXPECT_EQ(c.audio.size(), 6u);
  for (const char* f : {"mp4a", ".mp3", "Opus", "fLaC", "ac-3", "ec-3"})
    EXPECT_EQ(c.audio.at(f), fourcc_info::kCanEncode | fourcc_info::kCanForward) << f;
  EXPECT_EQ(c.caps_ex, 0x0Fu);  // reconnect, multitrack, modex, nano offset
  EXPECT_EQ(client_capabilities(false).video.at("hvc1"),
            fourcc_info::kCanDecode | fourcc_info::kCanForward);
}

TEST(EnhancedConnect, AnnouncementFieldsInOrder) {
  auto props = announcement(client_capabilities(true));
  ASSERT_EQ(props.size(), 4u);
  EXPECT_EQ(props[0].first, "fourCcList");
  EXPECT_TRUE(props[0].second.is_strict_array());
  EXPECT_EQ(props[0].second.items()[2], Value::String("av01"));
  EXPECT_EQ(props[1].first, "videoFourCcInfoMap");
  EXPECT_EQ(props[1].second.get_number("av01"), 6.0);
  EXPECT_EQ(props[2].first, "audioFourCcInfoMap");
  EXPECT_EQ(props[2].second.get_number("Opus"), 6.0);
  EXPECT_EQ(props[3].first, "capsEx");
  EXPECT_EQ(props[3].second, Value::Number(15));
  EXPECT_TRUE(announcement(EnhancedCapabilities{}).empty());
}

TEST(EnhancedConnect, ServerAnswerParsedAndDescribed) {
  Value answer = Value::Object({
      {"fmsVer", Value::String("FMS/3,5,7,7009")},
      {"capsEx", Value::Number(1)},
      {"videoFourCcInfoMap", Value::Object({{"hvc1", Value::Number(4)},
                                            {"av01", Value::Number(5)},
                                            {"bad", Value::String("x")},
                                            {"neg", Value::Number(-1)}})},
      {"audioFourCcInfoMap", Value::Object({{"*", Value::Number(4)}})},
      {"fourCcList", Value::StrictArray({Value::String("hvc1"), Value::Number(3)})},
  });
  EnhancedCapabilities c = parse_capabilities(answer);
  EXPECT_TRUE(c.present());
  EXPECT_EQ(c.caps_ex, 1u);
  EXPECT_EQ(c.video, (std::map<std::string, uint32_t>{{"av01", 5}, {"hvc1", 4}}));
  EXPECT_EQ(c.audio, (std::map<std::string, uint32_t>{{"*", 4}}));
  EXPECT_EQ(c.fourcc_list, (std::vector<std::string>{"hvc1"}));
  EXPECT_EQ(describe(c),
            "capsEx 1 (reconnect); fourCcList hvc1; video av01 (decode, forward), hvc1 (forward); "
            "audio * (forward)");
}

TEST(EnhancedConnect, LegacyServersSayNothing) {
  EnhancedCapabilities c = parse_capabilities(Value::Object(
      {{"fmsVer", Value::String("FMS/3,0,1,123")}, {"capabilities", Value::Number(31)}}));
  EXPECT_FALSE(c.present());
  EXPECT_EQ(describe(c), "none");
  EXPECT_FALSE(parse_capabilities(Value::Null()).present());
  EXPECT_FALSE(parse_capabilities(Value::Object({{"capsEx", Value::Number(1e20)}})).present());
}

}  // namespace
}  // namespace rtmp
