// Feeds the input to FlvReader whole and split at a position derived from the input; both must
// give identical tags, status, error and counters. Emitted tags also go through tag_to_message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "flv/flv_reader.hpp"

namespace {

using rtmp::ByteView;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  rtmp::FlvReader::Status status = rtmp::FlvReader::Status::kOk;
  std::vector<rtmp::FlvTag> tags;
  std::string error;
  uint64_t skipped = 0;
  uint64_t mismatches = 0;
  bool header_seen = false;
  rtmp::FlvHeader header;
  bool at_boundary = false;
  bool operator==(const Outcome&) const = default;
};

Outcome run(ByteView in, size_t split, uint32_t max_tag_size) {
  rtmp::FlvReader reader(rtmp::FlvReaderLimits{max_tag_size});
  Outcome o;
  const auto first = reader.feed(in.first(split), o.tags);
  o.status = reader.feed(in.subspan(split), o.tags);
  check(first == rtmp::FlvReader::Status::kOk || o.status == rtmp::FlvReader::Status::kError);
  check((o.status == rtmp::FlvReader::Status::kError) == !reader.error().empty());
  o.error = reader.error();
  o.skipped = reader.skipped_tags();
  o.mismatches = reader.previous_size_mismatches();
  o.header_seen = reader.header_seen();
  o.header = reader.header();
  o.at_boundary = reader.at_tag_boundary();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  const size_t split = size == 0 ? 0 : (size_t{data[size - 1]} * 257 + data[0]) % (size + 1);
  // A small limit on odd sizes exercises the limit check; the default otherwise.
  const uint32_t limit = (size % 2 == 1) ? 4096 : rtmp::FlvReaderLimits{}.max_tag_size;
  Outcome whole = run(in, size, limit);
  check(whole == run(in, split, limit));
  for (rtmp::FlvTag& tag : whole.tags) {
    check(tag.type == 8 || tag.type == 9 || tag.type == 18);
    check(tag.data.size() <= limit);
    const size_t before = tag.data.size();
    const rtmp::Message msg = rtmp::tag_to_message(std::move(tag), 1);
    check(msg.payload.size() == before || msg.payload.size() == before + 16);
  }
  return 0;
}
