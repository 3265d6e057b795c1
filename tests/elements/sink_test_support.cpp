// Shared by the rtmpsink element tests: see sink_test_support.hpp.

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "sink_test_support.hpp"

namespace {

rtmp::Bytes pattern(size_t n, uint8_t seed) {
  rtmp::Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 7));
  return b;
}

}  // namespace

SyntheticFlv make_flv() {
  SyntheticFlv flv;
  auto add = [&](uint8_t type, uint32_t ts, rtmp::Bytes data) {
    rtmp::FlvTag t;
    t.type = type;
    t.timestamp = ts;
    t.data = std::move(data);
    flv.tags.push_back(std::move(t));
  };
  rtmp::Bytes meta;
  rtmp::amf0::encode(Value::String("onMetaData"), meta);
  rtmp::amf0::encode(Value::EcmaArray({{"duration", Value::Number(0)},
                                       {"width", Value::Number(320)},
                                       {"height", Value::Number(240)},
                                       {"framerate", Value::Number(30)},
                                       {"videocodecid", Value::Number(7)},
                                       {"audiocodecid", Value::Number(10)},
                                       {"encoder", Value::String("test_rtmpsink")}}),
                     meta);
  add(rtmp::kFlvTagScript, 0, meta);
  add(rtmp::kFlvTagVideo, 0, {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1});
  add(rtmp::kFlvTagAudio, 0, {0xAF, 0x00, 0x12, 0x10});
  uint32_t audio_ts = 0;
  for (int i = 0; i < 4; i++) {
    rtmp::Bytes v = {static_cast<uint8_t>(i == 0 ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
    rtmp::Bytes body =
        pattern(i == 0 ? 10000 : 300 + 50 * static_cast<size_t>(i), static_cast<uint8_t>(i));
    v.insert(v.end(), body.begin(), body.end());
    add(rtmp::kFlvTagVideo, static_cast<uint32_t>(i * 33), std::move(v));
    while (audio_ts <= static_cast<uint32_t>(i * 33)) {
      rtmp::Bytes a = {0xAF, 0x01};
      rtmp::Bytes frame = pattern(120 + audio_ts % 17, static_cast<uint8_t>(audio_ts));
      a.insert(a.end(), frame.begin(), frame.end());
      add(rtmp::kFlvTagAudio, audio_ts, std::move(a));
      audio_ts += 23;
    }
  }
  rtmp::write_flv_header(true, true, flv.bytes);
  for (const auto& t : flv.tags) rtmp::write_flv_tag(t.type, t.timestamp, t.data, flv.bytes);
  return flv;
}

SyntheticFlv make_video_flv(int frames, size_t frame_bytes) {
  SyntheticFlv flv;
  auto add = [&](uint32_t ts, rtmp::Bytes data) {
    rtmp::FlvTag t;
    t.type = rtmp::kFlvTagVideo;
    t.timestamp = ts;
    t.data = std::move(data);
    flv.tags.push_back(std::move(t));
  };
  add(0, {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1});
  for (int i = 0; i < frames; i++) {
    rtmp::Bytes v = {static_cast<uint8_t>(i % 30 == 0 ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
    rtmp::Bytes body = pattern(frame_bytes, static_cast<uint8_t>(i));
    v.insert(v.end(), body.begin(), body.end());
    add(static_cast<uint32_t>(i * 33), std::move(v));
  }
  rtmp::write_flv_header(false, true, flv.bytes);
  for (const auto& t : flv.tags) rtmp::write_flv_tag(t.type, t.timestamp, t.data, flv.bytes);
  return flv;
}

std::string secret_location(uint16_t port, const std::string& path) {
  return "rtmp://user:" + std::string(kSecret) + "@127.0.0.1:" + std::to_string(port) + "/" + path;
}

std::string safe_location(uint16_t port, const std::string& path) {
  return "rtmp://user@127.0.0.1:" + std::to_string(port) + "/" + path;
}
