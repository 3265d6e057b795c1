#include "flv_output.hpp"

#include "flv/flv_reader.hpp"
#include "flv/flv_writer.hpp"
#include "rtmp/amf0.hpp"

namespace rtmpgst {

namespace {

constexpr uint64_t kWrap = uint64_t{1} << 32;

// Memory that is `bytes`, kept until GStreamer lets go of it.
GstMemory* wrap_memory(rtmp::Bytes&& bytes) {
  auto* holder = new rtmp::Bytes(std::move(bytes));
  return gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, holder->data(), holder->size(), 0,
                                holder->size(), holder,
                                [](gpointer p) { delete static_cast<rtmp::Bytes*>(p); });
}

GstBuffer* wrap_bytes(rtmp::Bytes&& bytes) {
  GstBuffer* buf = gst_buffer_new();
  gst_buffer_append_memory(buf, wrap_memory(std::move(bytes)));
  return buf;
}

// A tag: header, payload, PreviousTagSize. A large payload is wrapped, not copied.
GstBuffer* tag_buffer(uint8_t type, uint32_t timestamp, rtmp::Bytes&& payload) {
  if (payload.size() < FlvOutput::kWrapAtLeast) {
    rtmp::Bytes out;
    out.reserve(payload.size() + rtmp::kFlvTagHeaderSize + 4);
    rtmp::write_flv_tag(type, timestamp, payload, out);
    return wrap_bytes(std::move(out));
  }
  rtmp::Bytes head, tail;
  rtmp::write_flv_tag(type, timestamp, {}, head);  // header + PreviousTagSize of an empty tag
  const auto size = static_cast<uint32_t>(payload.size());
  head[1] = static_cast<uint8_t>(size >> 16);
  head[2] = static_cast<uint8_t>(size >> 8);
  head[3] = static_cast<uint8_t>(size);
  head.resize(rtmp::kFlvTagHeaderSize);
  rtmp::put_u32be(tail, static_cast<uint32_t>(rtmp::kFlvTagHeaderSize) + size);
  GstBuffer* buf = wrap_bytes(std::move(head));
  gst_buffer_append_memory(buf, wrap_memory(std::move(payload)));
  gst_buffer_append_memory(buf, wrap_memory(std::move(tail)));
  return buf;
}

}  // namespace

void FlvOutput::reset(bool keep_header) {
  header_sent_ = header_sent_ && keep_header;
  have_last_ = false;
  epoch_ = 0;
  base_.reset();
}

uint64_t FlvOutput::unwrap(uint32_t ts) {
  if (have_last_) {
    // A jump of more than half the range is a wrap (forwards) or a late pre-wrap message.
    if (ts < last_ts_ && last_ts_ - ts > 0x80000000u)
      epoch_ += kWrap;
    else if (ts > last_ts_ && ts - last_ts_ > 0x80000000u && epoch_ >= kWrap)
      return epoch_ - kWrap + ts;
  }
  have_last_ = true;
  last_ts_ = ts;
  return epoch_ + ts;
}

GstBuffer* FlvOutput::make_header(const rtmp::Message& first) {
  bool audio = true, video = true;
  if (first.type == uint8_t(rtmp::MessageType::kDataAmf0)) {
    std::vector<rtmp::amf0::Value> values;
    rtmp::amf0::decode_all(first.payload, values, nullptr);
    if (values.size() >= 2 && values[0].is_string() && values[0].string() == "onMetaData" &&
        values[1].is_object()) {
      const auto& md = values[1];
      bool has_a = md.get("audiocodecid") || md.get("audiodatarate");
      bool has_v = md.get("videocodecid") || md.get("width");
      if (has_a || has_v) {
        audio = has_a;
        video = has_v;
      }
    }
  }
  rtmp::Bytes out;
  rtmp::write_flv_header(audio, video, out);
  header_sent_ = true;
  GstBuffer* buf = wrap_bytes(std::move(out));
  GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_HEADER);
  return buf;
}

GstBuffer* FlvOutput::make_tag(rtmp::Message&& m, bool live) {
  if (m.type == uint8_t(rtmp::MessageType::kDataAmf0)) {
    std::vector<rtmp::amf0::Value> values;
    if (rtmp::amf0::decode_all(m.payload, values, nullptr) && values.size() >= 2 &&
        values[0].is_string() && values[0].string() == "onMetaData") {
      if (auto d = values[1].get_number("duration"); d && *d > 0) duration_ms_ = *d * 1000.0;
    }
  }
  uint64_t ts = unwrap(m.timestamp);
  if (!base_) base_ = live ? ts : 0;
  // Frame type 1 = keyframe (also in Enhanced RTMP).
  const bool delta = m.type == uint8_t(rtmp::MessageType::kVideo) && !m.payload.empty() &&
                     ((m.payload[0] >> 4) & 0x7) != 1;
  GstBuffer* buf = tag_buffer(m.type, m.timestamp, std::move(m.payload));
  GstClockTime t = ts >= *base_ ? (ts - *base_) * GST_MSECOND : 0;
  GST_BUFFER_PTS(buf) = t;
  GST_BUFFER_DTS(buf) = t;
  if (delta) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

}  // namespace rtmpgst
