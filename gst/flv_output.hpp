// Turns played RTMP messages into an FLV byte stream: header first (flags from onMetaData when
// it comes first), then one tag per message with PreviousTagSize; 32-bit timestamps unwrapped.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>

#include "rtmp/message.hpp"

namespace rtmpgst {

class FlvOutput {
 public:
  // Forget everything (new stream, or after a seek: `keep_header` keeps the header sent).
  void reset(bool keep_header);
  bool header_sent() const { return header_sent_; }
  // The FLV header buffer, flags chosen from `first` (an onMetaData script message tells which
  // tracks exist; otherwise both flags are set).
  GstBuffer* make_header(const rtmp::Message& first);
  // One FLV tag buffer; PTS/DTS = unwrapped timestamp - base (base = 0 for recorded streams,
  // the first timestamp for live ones). A payload of kWrapAtLeast bytes or more becomes the
  // buffer's middle memory as it is (no copy): the tag header and PreviousTagSize are memories
  // of their own.
  static constexpr size_t kWrapAtLeast = 1024;
  GstBuffer* make_tag(rtmp::Message&& m, bool live);
  // Duration from onMetaData, if a script message carried one (ms).
  std::optional<double> duration_ms() const { return duration_ms_; }
  // 64-bit timestamp for a 32-bit one, handling wrap-around (either direction).
  uint64_t unwrap(uint32_t ts);

 private:
  bool header_sent_ = false;
  bool have_last_ = false;
  uint32_t last_ts_ = 0;
  uint64_t epoch_ = 0;  // multiples of 2^32
  std::optional<uint64_t> base_;
  std::optional<double> duration_ms_;
};

}  // namespace rtmpgst
