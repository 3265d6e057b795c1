// The description of one elementary stream as a demuxer announces it: a media type and typed
// fields, shaped like a GStreamer caps structure ("video/x-h264, stream-format=avc, ...") but
// without GStreamer, so that the core decides every value and the element only converts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.hpp"

namespace rtmp {

struct FormatValue {
  enum class Type : uint8_t {
    kInt,          // `number`
    kUint,         // `number` (an unsigned field, such as bit-depth-luma)
    kBool,         // `number` 0 or 1
    kString,       // `text`
    kFraction,     // `number` / `denominator`
    kBuffer,       // buffers[0] (codec_data)
    kBufferArray,  // `buffers`, each a header buffer (streamheader)
    kIntArray,     // `ints` (channel-mapping)
  };
  Type type = Type::kInt;
  int64_t number = 0;
  int64_t denominator = 1;
  std::string text;
  std::vector<Bytes> buffers;
  std::vector<int64_t> ints;

  bool operator==(const FormatValue&) const = default;
};

struct FormatField {
  std::string name;
  FormatValue value;

  bool operator==(const FormatField&) const = default;
};

struct StreamFormat {
  std::string media_type;  // empty: no format
  std::vector<FormatField> fields;

  bool empty() const { return media_type.empty(); }
  // Each setter replaces the field of that name or appends it, and returns *this.
  StreamFormat& set_int(std::string_view name, int64_t v);
  StreamFormat& set_uint(std::string_view name, uint32_t v);
  StreamFormat& set_bool(std::string_view name, bool v);
  StreamFormat& set_string(std::string_view name, std::string_view v);
  StreamFormat& set_fraction(std::string_view name, int64_t num, int64_t den);
  StreamFormat& set_buffer(std::string_view name, ByteView v);
  StreamFormat& set_buffers(std::string_view name, std::vector<Bytes> v);
  StreamFormat& set_ints(std::string_view name, std::vector<int64_t> v);
  const FormatValue* get(std::string_view name) const;
  // "audio/x-opus, rate=(int)48000, streamheader=<(buffer)4f70...>" (buffers as hex).
  std::string to_string() const;

  bool operator==(const StreamFormat&) const = default;

 private:
  StreamFormat& set(std::string_view name, FormatValue v);
};

}  // namespace rtmp
