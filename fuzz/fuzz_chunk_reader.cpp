// Feeds the input to a ChunkReader whole and split in two at a position derived from the first
// byte; both runs must produce the same messages, status and error text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rtmp/chunk_reader.hpp"

namespace {

struct Run {
  rtmp::ChunkReader::Status status = rtmp::ChunkReader::Status::kOk;
  std::vector<rtmp::Message> messages;
  std::string error;
  uint64_t bytes = 0;
};

rtmp::ChunkReaderLimits fuzz_limits() {
  // Small limits so that the fuzzer reaches them.
  rtmp::ChunkReaderLimits limits;
  limits.max_message_size = 64 * 1024;
  limits.max_chunk_streams = 16;
  limits.max_buffered_bytes = 128 * 1024;
  return limits;
}

Run run(rtmp::ByteView in, size_t split) {
  rtmp::ChunkReader reader(fuzz_limits());
  Run r;
  r.status = reader.feed(in.first(split), r.messages);
  const auto second = reader.feed(in.subspan(split), r.messages);
  if (r.status == rtmp::ChunkReader::Status::kError &&
      second != rtmp::ChunkReader::Status::kError) {
    abort();  // errors are sticky
  }
  r.status = second;
  r.error = reader.error();
  r.bytes = reader.bytes_received();
  return r;
}

bool same(const rtmp::Message& a, const rtmp::Message& b) {
  return a.chunk_stream == b.chunk_stream && a.type == b.type && a.timestamp == b.timestamp &&
         a.stream_id == b.stream_id && a.payload == b.payload;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rtmp::ByteView in(data, size);
  const size_t split = size == 0 ? 0 : (size_t{data[0]} * 257) % (size + 1);
  const Run whole = run(in, size);
  const Run parts = run(in, split);
  if (whole.status != parts.status || whole.error != parts.error || whole.bytes != size ||
      parts.bytes != size || whole.messages.size() != parts.messages.size()) {
    abort();
  }
  for (size_t i = 0; i < whole.messages.size(); ++i) {
    if (!same(whole.messages[i], parts.messages[i])) abort();
  }
  return 0;
}
