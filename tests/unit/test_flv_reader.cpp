#include "flv/flv_reader.hpp"
#include "flv/flv_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rtmp {
namespace {

void put_amf0_string(Bytes& out, std::string_view s) {
  put_u8(out, 0x02);
  put_u16be(out, static_cast<uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// AMF0 "onMetaData" + ECMA array { duration: 0 } + object end.
Bytes metadata_payload() {
  Bytes b;
  put_amf0_string(b, "onMetaData");
  put_u8(b, 0x08);
  put_u32be(b, 1);
  put_u16be(b, 8);
  for (char c : std::string_view("duration")) b.push_back(static_cast<uint8_t>(c));
  put_u8(b, 0x00);
  for (int i = 0; i < 8; ++i) put_u8(b, 0);
  put_u24be(b, 0x000009);
  return b;
}

// A tag written by hand (not with write_flv_tag), with an explicit PreviousTagSize.
void put_tag(Bytes& out, uint8_t type, uint32_t ts, const Bytes& data, uint32_t prev_size) {
  put_u8(out, type);
  put_u24be(out, static_cast<uint32_t>(data.size()));
  put_u24be(out, ts & 0xFFFFFF);
  put_u8(out, static_cast<uint8_t>(ts >> 24));
  put_u24be(out, 0);
  put_bytes(out, data);
  put_u32be(out, prev_size);
}

void put_tag(Bytes& out, uint8_t type, uint32_t ts, const Bytes& data) {
  put_tag(out, type, ts, data, static_cast<uint32_t>(11 + data.size()));
}

void put_header(Bytes& out, uint8_t flags, uint32_t offset = 9) {
  for (char c : std::string_view("FLV")) out.push_back(static_cast<uint8_t>(c));
  put_u8(out, 1);
  put_u8(out, flags);
  put_u32be(out, offset);
  for (uint32_t i = 9; i < offset; ++i) put_u8(out, 0xEE);
  put_u32be(out, 0);
}

// header + script(onMetaData) + audio/video tags, two with extended timestamps.
Bytes synthetic_file() {
  Bytes f;
  put_header(f, 0x05);
  put_tag(f, 18, 0, metadata_payload());
  put_tag(f, 8, 0, Bytes{0xAF, 0x00, 0x12, 0x10});
  put_tag(f, 9, 0, Bytes{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F});
  put_tag(f, 8, 0x01020304, Bytes{0xAF, 0x01, 0x21, 0x22, 0x23});
  put_tag(f, 9, 0xFF000010, Bytes{0x27, 0x01, 0x00, 0x00, 0x00, 0xAA, 0xBB});
  return f;
}

struct Result {
  FlvReader::Status status = FlvReader::Status::kOk;
  std::vector<FlvTag> tags;
  std::string error;
  uint64_t skipped = 0;
  uint64_t mismatches = 0;
  bool header_seen = false;
  FlvHeader header;
  bool at_boundary = false;
};

void expect_same(const Result& a, const Result& b, const std::string& what) {
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_TRUE(a.tags == b.tags) << what;
  EXPECT_EQ(a.error, b.error) << what;
  EXPECT_EQ(a.skipped, b.skipped) << what;
  EXPECT_EQ(a.mismatches, b.mismatches) << what;
  EXPECT_EQ(a.header_seen, b.header_seen) << what;
  EXPECT_TRUE(a.header == b.header) << what;
  EXPECT_EQ(a.at_boundary, b.at_boundary) << what;
}

// Feeds `data` cut at the given increasing positions.
Result feed_parts(const Bytes& data, const std::vector<size_t>& cuts, FlvReaderLimits limits = {}) {
  FlvReader reader(limits);
  Result r;
  size_t from = 0;
  auto feed_to = [&](size_t to) {
    const auto s = reader.feed(ByteView(data.data() + from, to - from), r.tags);
    if (s == FlvReader::Status::kError) r.status = s;
    EXPECT_EQ(s, r.status) << "status must be sticky";
    from = to;
  };
  for (size_t cut : cuts) feed_to(cut);
  feed_to(data.size());
  r.error = reader.error();
  r.skipped = reader.skipped_tags();
  r.mismatches = reader.previous_size_mismatches();
  r.header_seen = reader.header_seen();
  r.header = reader.header();
  r.at_boundary = reader.at_tag_boundary();
  return r;
}

Result feed_whole(const Bytes& data, FlvReaderLimits limits = {}) {
  return feed_parts(data, {}, limits);
}

// Whole feed vs every two-way split vs byte by byte: all identical. Returns the whole result.
Result check_all_splits(const Bytes& data, FlvReaderLimits limits = {}) {
  const Result whole = feed_whole(data, limits);
  for (size_t split = 0; split <= data.size(); ++split) {
    expect_same(whole, feed_parts(data, {split}, limits), "split " + std::to_string(split));
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
  expect_same(whole, feed_parts(data, every, limits), "byte by byte");
  return whole;
}

TEST(FlvWriter, ExactBytes) {
  Bytes out{0x55};
  write_flv_header(true, false, out);
  const Bytes header{0x55, 'F', 'L', 'V', 1, 0x04, 0, 0, 0, 9, 0, 0, 0, 0};
  EXPECT_EQ(out, header);

  Bytes both;
  write_flv_header(true, true, both);
  EXPECT_EQ(both[4], 0x05);
  Bytes none;
  write_flv_header(false, false, none);
  EXPECT_EQ(none[4], 0x00);

  Bytes tag;
  write_flv_tag(9, 0x12345678, Bytes{1, 2, 3}, tag);
  const Bytes expected{9, 0, 0, 3, 0x34, 0x56, 0x78, 0x12, 0, 0, 0, 1, 2, 3, 0, 0, 0, 14};
  EXPECT_EQ(tag, expected);
}

TEST(FlvReader, SyntheticFileWhole) {
  const Result r = feed_whole(synthetic_file());
  ASSERT_EQ(r.status, FlvReader::Status::kOk) << r.error;
  EXPECT_TRUE(r.header_seen);
  EXPECT_TRUE(r.header.has_audio);
  EXPECT_TRUE(r.header.has_video);
  EXPECT_EQ(r.header.version, 1);
  EXPECT_EQ(r.header.data_offset, 9u);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_EQ(r.mismatches, 0u);
  EXPECT_TRUE(r.at_boundary);
  ASSERT_EQ(r.tags.size(), 5u);
  EXPECT_EQ(r.tags[0].type, 18);
  EXPECT_EQ(r.tags[0].data, metadata_payload());
  EXPECT_EQ(r.tags[1].type, 8);
  EXPECT_EQ(r.tags[1].data, (Bytes{0xAF, 0x00, 0x12, 0x10}));
  EXPECT_EQ(r.tags[2].type, 9);
  EXPECT_EQ(r.tags[3].timestamp, 0x01020304u);
  EXPECT_EQ(r.tags[3].type, 8);
  EXPECT_EQ(r.tags[4].timestamp, 0xFF000010u);
  EXPECT_EQ(r.tags[4].data, (Bytes{0x27, 0x01, 0x00, 0x00, 0x00, 0xAA, 0xBB}));
}

TEST(FlvReader, SyntheticFileEverySplitAndByteByByte) {
  const Result r = check_all_splits(synthetic_file());
  EXPECT_EQ(r.tags.size(), 5u);
}

// The zero-copy feed gives the same tags as the copying one, at every split, and its tags'
// bytes are views into the inputs, which their owners keep alive after the feed returned.
TEST(FlvReader, SharedFeedEverySplitSameTagsAsViews) {
  const Bytes file = synthetic_file();
  const Result whole = feed_whole(file);
  for (size_t split = 0; split <= file.size(); ++split) {
    FlvReader reader;
    std::vector<SharedTag> tags;
    // Each part in a buffer of its own, freed by its owner only; only the address ranges
    // are remembered, since a part no tag refers to is gone after its feed.
    std::vector<std::pair<uintptr_t, uintptr_t>> parts_seen;
    for (auto [from, to] : {std::pair<size_t, size_t>{0, split}, {split, file.size()}}) {
      auto part = std::make_shared<Bytes>(file.begin() + static_cast<long>(from),
                                          file.begin() + static_cast<long>(to));
      const auto begin = reinterpret_cast<uintptr_t>(part->data());
      parts_seen.emplace_back(begin, begin + part->size());
      ASSERT_EQ(reader.feed(*part, PayloadOwner(part), tags), FlvReader::Status::kOk);
    }
    ASSERT_EQ(tags.size(), whole.tags.size()) << split;
    for (size_t t = 0; t < tags.size(); t++) {
      EXPECT_EQ(tags[t].type, whole.tags[t].type);
      EXPECT_EQ(tags[t].timestamp, whole.tags[t].timestamp);
      EXPECT_EQ(tags[t].data.to_bytes(), whole.tags[t].data) << split << " tag " << t;
      for (const auto& piece : tags[t].data.pieces()) {
        bool inside = false;
        const auto at = reinterpret_cast<uintptr_t>(piece.bytes.data());
        for (auto [begin, end] : parts_seen)
          inside = inside || (at >= begin && at + piece.bytes.size() <= end);
        EXPECT_TRUE(inside) << "a copy, not a view, at split " << split;
      }
    }
  }
}

TEST(FlvReader, SharedMetadataGetsItsSetDataFramePrefix) {
  const Bytes file = synthetic_file();
  auto owner = std::make_shared<Bytes>(file);
  FlvReader reader;
  std::vector<SharedTag> tags;
  ASSERT_EQ(reader.feed(*owner, PayloadOwner(owner), tags), FlvReader::Status::kOk);
  std::vector<FlvTag> copied = feed_whole(file).tags;
  for (size_t t = 0; t < tags.size(); t++) {
    MediaMessage shared = tag_to_message(std::move(tags[t]), 1);
    Message plain = tag_to_message(FlvTag(copied[t]), 1);
    EXPECT_EQ(shared.payload.to_bytes(), plain.payload) << t;
    EXPECT_EQ(shared.chunk_stream, plain.chunk_stream);
    EXPECT_EQ(shared.type, plain.type);
  }
}

TEST(FlvReader, EveryPrefixGivesAPrefixOfTheTags) {
  const Bytes file = synthetic_file();
  const Result full = feed_whole(file);
  for (size_t n = 0; n <= file.size(); ++n) {
    const Result r = feed_whole(Bytes(file.begin(), file.begin() + static_cast<long>(n)));
    ASSERT_EQ(r.status, FlvReader::Status::kOk) << n;
    ASSERT_LE(r.tags.size(), full.tags.size());
    for (size_t i = 0; i < r.tags.size(); ++i) ASSERT_TRUE(r.tags[i] == full.tags[i]) << n;
  }
}

TEST(FlvReader, TagEmittedBeforeItsPreviousTagSize) {
  Bytes file;
  put_header(file, 0x04);
  put_tag(file, 8, 7, Bytes{1, 2});
  file.erase(file.end() - 4, file.end());  // drop the PreviousTagSize
  const Result r = feed_whole(file);
  ASSERT_EQ(r.tags.size(), 1u);
  EXPECT_FALSE(r.at_boundary);
}

TEST(FlvReader, RestartHeaderMidStream) {
  Bytes file = synthetic_file();
  put_header(file, 0x04, 13);  // a second file (audio only, 4 padding bytes) appended
  put_tag(file, 8, 5, Bytes{0xAF, 0x01, 0x99});
  const Result r = check_all_splits(file);
  ASSERT_EQ(r.status, FlvReader::Status::kOk) << r.error;
  ASSERT_EQ(r.tags.size(), 6u);
  EXPECT_EQ(r.tags[5].timestamp, 5u);
  EXPECT_EQ(r.tags[5].data, (Bytes{0xAF, 0x01, 0x99}));
  EXPECT_TRUE(r.header.has_audio);
  EXPECT_FALSE(r.header.has_video);
  EXPECT_EQ(r.header.data_offset, 13u);
  EXPECT_EQ(r.mismatches, 0u);
}

TEST(FlvReader, SkippedTagTypes) {
  Bytes file;
  put_header(file, 0x05);
  put_tag(file, 7, 0, Bytes{1, 2, 3});
  put_tag(file, 8, 1, Bytes{4});
  put_tag(file, 15, 2, Bytes{});            // AMF3 data, empty
  put_tag(file, 0x46, 3, Bytes{'X', 'Y'});  // 'F' but not "FLV": an (invalid) tag type
  put_tag(file, 0x48, 4, Bytes{5});         // reserved bits set: not audio
  put_tag(file, 9, 5, Bytes{6, 7});
  const Result r = check_all_splits(file);
  ASSERT_EQ(r.status, FlvReader::Status::kOk) << r.error;
  EXPECT_EQ(r.skipped, 4u);
  ASSERT_EQ(r.tags.size(), 2u);
  EXPECT_EQ(r.tags[0].data, Bytes{4});
  EXPECT_EQ(r.tags[1].data, (Bytes{6, 7}));
}

TEST(FlvReader, EmptyTagIsEmitted) {
  Bytes file;
  put_header(file, 0x04);
  put_tag(file, 8, 9, Bytes{});
  const Result r = check_all_splits(file);
  ASSERT_EQ(r.tags.size(), 1u);
  EXPECT_TRUE(r.tags[0].data.empty());
  EXPECT_EQ(r.tags[0].timestamp, 9u);
}

TEST(FlvReader, PreviousTagSizeMismatchesAreCounted) {
  Bytes file;
  put_header(file, 0x05);
  file[file.size() - 1] = 1;  // PreviousTagSize0 should be 0
  put_tag(file, 8, 0, Bytes{1, 2}, 0);
  put_tag(file, 9, 0, Bytes{3}, 12);  // correct
  put_tag(file, 9, 0, Bytes{3}, 999);
  const Result r = check_all_splits(file);
  ASSERT_EQ(r.status, FlvReader::Status::kOk);
  EXPECT_EQ(r.tags.size(), 3u);
  EXPECT_EQ(r.mismatches, 3u);
}

TEST(FlvReader, StreamIdIsReported) {
  Bytes file;
  put_header(file, 0x04);
  put_u8(file, 8);
  put_u24be(file, 1);
  put_u32be(file, 0);
  put_u24be(file, 0xABCDEF);
  put_u8(file, 0x42);
  put_u32be(file, 12);
  const Result r = feed_whole(file);
  ASSERT_EQ(r.tags.size(), 1u);
  EXPECT_EQ(r.tags[0].stream_id, 0xABCDEFu);
}

TEST(FlvReader, BadSignature) {
  const std::string gif = "GIF89a.........";
  const Result r = check_all_splits(Bytes(gif.begin(), gif.end()));
  EXPECT_EQ(r.status, FlvReader::Status::kError);
  EXPECT_NE(r.error.find("signature"), std::string::npos);
  EXPECT_FALSE(r.header_seen);

  // Detected on the first wrong byte, without waiting for a full header.
  FlvReader reader;
  std::vector<FlvTag> tags;
  EXPECT_EQ(reader.feed(Bytes{'F', 'X'}, tags), FlvReader::Status::kError);

  // Data before the header is not skipped.
  Bytes file{0};
  const Bytes valid = synthetic_file();
  put_bytes(file, valid);
  EXPECT_EQ(feed_whole(file).status, FlvReader::Status::kError);
}

TEST(FlvReader, DataOffsetBelowNine) {
  Bytes file;
  put_header(file, 0x05);
  file[8] = 8;
  const Result r = check_all_splits(file);
  EXPECT_EQ(r.status, FlvReader::Status::kError);
  EXPECT_NE(r.error.find("data offset 8"), std::string::npos);
}

TEST(FlvReader, BadRestartHeaderIsAnError) {
  Bytes file = synthetic_file();
  put_header(file, 0x05, 3);
  const Result r = check_all_splits(file);
  EXPECT_EQ(r.status, FlvReader::Status::kError);
  EXPECT_EQ(r.tags.size(), 5u);
}

TEST(FlvReader, HugeDataOffsetIsSkippedWithoutBuffering) {
  Bytes file;
  put_header(file, 0x05);
  put_u32be(file, 0);
  file[5] = 0x7F;  // data offset 0x7F000009: skip almost 2 GiB
  const Result r = feed_whole(file);
  EXPECT_EQ(r.status, FlvReader::Status::kOk);
  EXPECT_TRUE(r.tags.empty());
  EXPECT_FALSE(r.at_boundary);
}

TEST(FlvReader, TagLargerThanLimitIsRejectedFromItsHeader) {
  Bytes file;
  put_header(file, 0x05);
  put_tag(file, 9, 0, Bytes(100, 0xAB));
  FlvReaderLimits limits;
  limits.max_tag_size = 99;
  // Only the 11-byte tag header is needed to reject it.
  const Bytes header_only(file.begin(), file.begin() + 13 + 11);
  const Result r = check_all_splits(header_only, limits);
  EXPECT_EQ(r.status, FlvReader::Status::kError);
  EXPECT_NE(r.error.find("100 bytes"), std::string::npos);
  limits.max_tag_size = 100;
  EXPECT_EQ(feed_whole(file, limits).tags.size(), 1u);
}

TEST(FlvReader, HostileMaximumSizeTruncated) {
  Bytes file;
  put_header(file, 0x05);
  put_u8(file, 9);
  put_u24be(file, 0xFFFFFF);
  put_u32be(file, 0);
  put_u24be(file, 0);
  file.resize(file.size() + 1000, 0x11);
  const Result r = check_all_splits(file);
  EXPECT_EQ(r.status, FlvReader::Status::kOk);
  EXPECT_TRUE(r.tags.empty());
  EXPECT_FALSE(r.at_boundary);
}

TEST(FlvReader, EncryptedTagIsAnError) {
  Bytes file;
  put_header(file, 0x05);
  put_tag(file, 8, 0, Bytes{1});
  put_tag(file, 0x28, 0, Bytes{1, 2});  // audio with the filter bit
  put_tag(file, 8, 0, Bytes{1});
  const Result r = check_all_splits(file);
  EXPECT_EQ(r.status, FlvReader::Status::kError);
  EXPECT_NE(r.error.find("encrypted"), std::string::npos);
  EXPECT_EQ(r.tags.size(), 1u);
}

TEST(FlvReader, PseudoRandomInputAfterHeaderIsSplitInvariant) {
  uint32_t state = 12345;
  for (int round = 0; round < 20; ++round) {
    Bytes file;
    put_header(file, 0x05);
    for (int i = 0; i < 200; ++i) {
      state = state * 1103515245u + 12345u;
      // Mostly small values so sizes stay short and tags complete.
      file.push_back(static_cast<uint8_t>((state >> 16) % (round % 2 ? 24 : 256)));
    }
    check_all_splits(file);
  }
}

TEST(FlvReader, WriterOutputIsReadBack) {
  Bytes file;
  write_flv_header(true, true, file);
  const Bytes meta = metadata_payload();
  write_flv_tag(18, 0, meta, file);
  write_flv_tag(8, 0xFFFFFFFF, Bytes{1, 2, 3}, file);
  write_flv_tag(9, 0x00FFFFFF, Bytes(5000, 0x5A), file);
  write_flv_tag(9, 0x01000000, Bytes{}, file);
  const Result r = check_all_splits(file);
  ASSERT_EQ(r.status, FlvReader::Status::kOk) << r.error;
  EXPECT_EQ(r.mismatches, 0u);
  ASSERT_EQ(r.tags.size(), 4u);
  EXPECT_EQ(r.tags[0].data, meta);
  EXPECT_EQ(r.tags[1].timestamp, 0xFFFFFFFFu);
  EXPECT_EQ(r.tags[2].timestamp, 0x00FFFFFFu);
  EXPECT_EQ(r.tags[2].data.size(), 5000u);
  EXPECT_EQ(r.tags[3].timestamp, 0x01000000u);
  EXPECT_TRUE(r.header.has_audio && r.header.has_video);
}

TEST(TagToMessage, AudioAndVideo) {
  const Message a = tag_to_message(FlvTag{8, 0x01020304, 0, Bytes{1, 2}}, 7);
  EXPECT_EQ(a.type, static_cast<uint8_t>(MessageType::kAudio));
  EXPECT_EQ(a.chunk_stream, csid::kAudio);
  EXPECT_EQ(a.timestamp, 0x01020304u);
  EXPECT_EQ(a.stream_id, 7u);
  EXPECT_EQ(a.payload, (Bytes{1, 2}));

  const Message v = tag_to_message(FlvTag{9, 40, 3, Bytes{9}}, 1);
  EXPECT_EQ(v.type, static_cast<uint8_t>(MessageType::kVideo));
  EXPECT_EQ(v.chunk_stream, csid::kVideo);
  EXPECT_EQ(v.stream_id, 1u);  // the given id, not the tag's
  EXPECT_EQ(v.payload, Bytes{9});
}

TEST(TagToMessage, OnMetaDataGetsSetDataFrame) {
  const Bytes meta = metadata_payload();
  const Message m = tag_to_message(FlvTag{18, 0, 0, meta}, 1);
  EXPECT_EQ(m.type, static_cast<uint8_t>(MessageType::kDataAmf0));
  EXPECT_EQ(m.chunk_stream, csid::kData);
  Bytes expected;
  put_amf0_string(expected, "@setDataFrame");
  put_bytes(expected, meta);
  EXPECT_EQ(m.payload, expected);
  EXPECT_EQ(m.payload[0], 0x02);
  EXPECT_EQ(get_u16be(&m.payload[1]), 13u);
}

TEST(TagToMessage, OtherScriptDataUnchanged) {
  Bytes cue;
  put_amf0_string(cue, "onCuePoint");
  EXPECT_EQ(tag_to_message(FlvTag{18, 5, 0, cue}, 1).payload, cue);

  Bytes prefix;  // "onMetaDataX": the length must match exactly
  put_amf0_string(prefix, "onMetaDataX");
  EXPECT_EQ(tag_to_message(FlvTag{18, 0, 0, prefix}, 1).payload, prefix);

  Bytes truncated;
  put_amf0_string(truncated, "onMetaData");
  truncated.pop_back();
  EXPECT_EQ(tag_to_message(FlvTag{18, 0, 0, truncated}, 1).payload, truncated);

  const Bytes long_string{0x0C, 0, 0, 0, 10, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'};
  EXPECT_EQ(tag_to_message(FlvTag{18, 0, 0, long_string}, 1).payload, long_string);

  EXPECT_TRUE(tag_to_message(FlvTag{18, 0, 0, Bytes{}}, 1).payload.empty());
}

}  // namespace
}  // namespace rtmp
