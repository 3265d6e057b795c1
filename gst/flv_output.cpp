#include "flv_output.hpp"

#include "flv/flv_reader.hpp"
#include "flv/flv_writer.hpp"
#include "rtmp/amf0.hpp"

namespace rtmpgst {

namespace {

constexpr uint64_t kWrap = uint64_t{1} << 32;

GstBuffer* wrap_bytes(rtmp::Bytes&& bytes) {
  auto* holder = new rtmp::Bytes(std::move(bytes));
  return gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, holder->data(), holder->size(), 0,
                                     holder->size(), holder,
                                     [](gpointer p) { delete static_cast<rtmp::Bytes*>(p); });
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

GstBuffer* FlvOutput::make_tag(const rtmp::Message& m, bool live) {
  if (m.type == uint8_t(rtmp::MessageType::kDataAmf0)) {
    std::vector<rtmp::amf0::Value> values;
    if (rtmp::amf0::decode_all(m.payload, values, nullptr) && values.size() >= 2 &&
        values[0].is_string() && values[0].string() == "onMetaData") {
      if (auto d = values[1].get_number("duration"); d && *d > 0) duration_ms_ = *d * 1000.0;
    }
  }
  uint64_t ts = unwrap(m.timestamp);
  if (!base_) base_ = live ? ts : 0;
  rtmp::Bytes out;
  out.reserve(m.payload.size() + 15);
  rtmp::write_flv_tag(m.type, m.timestamp, m.payload, out);
  GstBuffer* buf = wrap_bytes(std::move(out));
  GstClockTime t = ts >= *base_ ? (ts - *base_) * GST_MSECOND : 0;
  GST_BUFFER_PTS(buf) = t;
  GST_BUFFER_DTS(buf) = t;
  if (m.type == uint8_t(rtmp::MessageType::kVideo) && !m.payload.empty() &&
      ((m.payload[0] >> 4) & 0x7) != 1)  // frame type 1 = keyframe (also Enhanced RTMP)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

}  // namespace rtmpgst
