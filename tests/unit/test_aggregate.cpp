#include <gtest/gtest.h>

#include "flv/flv_reader.hpp"
#include "flv/flv_writer.hpp"
#include "rtmp/aggregate.hpp"

namespace rtmp {
namespace {

Message make_aggregate(uint32_t agg_ts, const std::vector<std::pair<uint32_t, Bytes>>& subs,
                       bool last_back_pointer = true) {
  Message agg;
  agg.type = uint8_t(MessageType::kAggregate);
  agg.timestamp = agg_ts;
  agg.stream_id = 1;
  agg.chunk_stream = 6;
  for (size_t i = 0; i < subs.size(); i++) {
    Bytes tag;
    write_flv_tag(i % 2 ? 8 : 9, subs[i].first, subs[i].second, tag);
    if (!last_back_pointer && i + 1 == subs.size()) tag.resize(tag.size() - 4);
    agg.payload.insert(agg.payload.end(), tag.begin(), tag.end());
  }
  return agg;
}

TEST(Aggregate, SplitsWithTimestampsRelativeToFirst) {
  Message agg = make_aggregate(5000, {{100, {1, 2}}, {120, {3}}, {140, Bytes(300, 4)}});
  std::vector<Message> out;
  ASSERT_TRUE(split_aggregate(agg, out, nullptr));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].type, 9);
  EXPECT_EQ(out[1].type, 8);
  EXPECT_EQ(out[0].timestamp, 5000u);
  EXPECT_EQ(out[1].timestamp, 5020u);
  EXPECT_EQ(out[2].timestamp, 5040u);
  EXPECT_EQ(out[2].payload, Bytes(300, 4));
  EXPECT_EQ(out[1].stream_id, 1u);
}

TEST(Aggregate, ExtendedTimestampByteAndMissingFinalBackPointer) {
  Message agg = make_aggregate(0x01000010, {{0x01000000, {9}}, {0x01000005, {8}}}, false);
  std::vector<Message> out;
  ASSERT_TRUE(split_aggregate(agg, out, nullptr));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].timestamp, 0x01000015u);
}

TEST(Aggregate, EveryTruncationIsAnErrorOrACleanPrefix) {
  Message agg = make_aggregate(0, {{0, {1, 2, 3}}, {40, Bytes(50, 7)}});
  for (size_t len = 0; len < agg.payload.size(); len++) {
    Message cut = agg;
    cut.payload.resize(len);
    std::vector<Message> out;
    std::string err;
    bool ok = split_aggregate(cut, out, &err);
    EXPECT_TRUE(ok || !err.empty()) << len;
    EXPECT_LE(out.size(), 2u);
    for (auto& m : out) EXPECT_TRUE(m.payload == Bytes({1, 2, 3}) || m.payload == Bytes(50, 7));
  }
}

}  // namespace
}  // namespace rtmp
