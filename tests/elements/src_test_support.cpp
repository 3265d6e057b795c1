// Shared by the rtmpsrc element tests: see src_test_support.hpp.
#include <algorithm>

// Last: the support header ends with gstcheck.h, whose `fail` macro would break C++ headers
// included after it.
#include "src_test_support.hpp"

int slowdown() {
  const char* m = g_getenv("CK_TIMEOUT_MULTIPLIER");
  gint64 f = m ? g_ascii_strtoll(m, nullptr, 10) : 1;
  return f > 1 && f < 100 ? static_cast<int>(f) : 1;
}

std::string secret_location(uint16_t port) {
  return "rtmp://user:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(port) +
         "/app/stream";
}

std::string safe_location(uint16_t port) {
  return "rtmp://user@127.0.0.1:" + std::to_string(port) + "/app/stream";
}

// ---------------------------------------------------------------------------------------------
// What the server sends.

rtmp::Bytes pattern(size_t n, uint32_t seed) {
  rtmp::Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed * 7 + i * 31 + (i >> 7));
  return b;
}

// Video payload: FLV video tag data (keyframe or inter frame, AVC NALU) and a body.
rtmp::Bytes video(size_t n, uint32_t seed, bool key) {
  rtmp::Bytes v = {static_cast<uint8_t>(key ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
  rtmp::Bytes body = pattern(n, seed);
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

rtmp::Bytes audio(size_t n, uint32_t seed) {
  rtmp::Bytes a = {0xAF, 0x01};
  rtmp::Bytes body = pattern(n, seed);
  a.insert(a.end(), body.begin(), body.end());
  return a;
}

rtmp::Bytes amf_values(std::initializer_list<Value> values) {
  rtmp::Bytes out;
  for (const auto& v : values) rtmp::amf0::encode(v, out);
  return out;
}

Value meta_audio_only() {
  return Value::EcmaArray({{"duration", Value::Number(0)},
                           {"audiocodecid", Value::Number(10)},
                           {"audiosamplerate", Value::Number(44100)},
                           {"stereo", Value::Boolean(true)}});
}

Value meta_video_only() {
  return Value::EcmaArray({{"duration", Value::Number(0)},
                           {"videocodecid", Value::Number(7)},
                           {"width", Value::Number(320)},
                           {"height", Value::Number(240)}});
}

Value meta_both(double duration) {
  return Value::EcmaArray({{"duration", Value::Number(duration)},
                           {"width", Value::Number(320)},
                           {"height", Value::Number(240)},
                           {"videocodecid", Value::Number(7)},
                           {"audiocodecid", Value::Number(10)},
                           {"encoder", Value::String("test_rtmpsrc")}});
}

rtmp::Bytes on_metadata(const Value& md) {
  return amf_values({Value::String("onMetaData"), md});
}

rtmp::Message msg(uint8_t type, uint32_t ts, rtmp::Bytes payload) {
  rtmp::Message m;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = 1;
  m.payload = std::move(payload);
  return m;
}

std::optional<rtmp::commands::Command> as_command(const rtmp::Message& m) {
  if (m.type != static_cast<uint8_t>(rtmp::MessageType::kCommandAmf0)) return std::nullopt;
  std::string err;
  return rtmp::commands::parse_command(m.payload, &err);
}

OutBuf to_out(GstSample* sample) {
  OutBuf out;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  fail_unless(buf != nullptr, "sample without buffer");
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  out.data.assign(map.data, map.data + map.size);
  gst_buffer_unmap(buf, &map);
  out.pts = GST_BUFFER_PTS(buf);
  out.dts = GST_BUFFER_DTS(buf);
  out.header = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER);
  out.discont = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT);
  gst_segment_init(&out.segment, GST_FORMAT_UNDEFINED);
  if (const GstSegment* seg = gst_sample_get_segment(sample))
    gst_segment_copy_into(seg, &out.segment);
  return out;
}

// The FLV header: "FLV", version 1, flags, data offset 9, PreviousTagSize0 = 0; flagged HEADER.
void check_header(const OutBuf& b, uint8_t flags) {
  fail_unless(b.header, "the first buffer is not flagged HEADER");
  fail_unless_equals_int(b.data.size(), 13);
  fail_unless(b.data[0] == 'F' && b.data[1] == 'L' && b.data[2] == 'V', "no FLV signature");
  fail_unless_equals_int(b.data[3], 1);
  fail_unless(b.data[4] == flags, "FLV header flags are 0x%02x, expected 0x%02x", b.data[4], flags);
  fail_unless_equals_int(rtmp::get_u32be(&b.data[5]), 9);
  fail_unless_equals_int(rtmp::get_u32be(&b.data[9]), 0);
}

// Exactly one FLV tag: 11-byte header (type, size, timestamp low 24 bits + extended byte, stream
// id 0), the payload as the server sent it, PreviousTagSize = 11 + size.
void check_tag(const OutBuf& b, uint8_t type, uint32_t ts, const rtmp::Bytes& payload,
               size_t index) {
  const rtmp::Bytes& d = b.data;
  fail_unless(d.size() == 11 + payload.size() + 4,
              "buffer %zu is %zu bytes, expected one tag with %zu payload bytes", index, d.size(),
              payload.size());
  fail_if(b.header, "buffer %zu (a tag) is flagged HEADER", index);
  fail_unless(d[0] == type, "buffer %zu: tag type %u, expected %u", index, d[0], type);
  fail_unless(rtmp::get_u24be(&d[1]) == payload.size(), "buffer %zu: data size %u, expected %zu",
              index, rtmp::get_u24be(&d[1]), payload.size());
  uint32_t tag_ts = rtmp::get_u24be(&d[4]) | (uint32_t{d[7]} << 24);
  fail_unless(tag_ts == ts, "buffer %zu: tag timestamp 0x%08x, expected 0x%08x", index, tag_ts, ts);
  fail_unless(rtmp::get_u24be(&d[8]) == 0, "buffer %zu: stream id is not 0", index);
  fail_unless(std::equal(payload.begin(), payload.end(), d.begin() + 11),
              "buffer %zu: payload differs from what the server sent", index);
  uint32_t prev = rtmp::get_u32be(&d[11 + payload.size()]);
  fail_unless(prev == 11 + payload.size(), "buffer %zu: PreviousTagSize %u, expected %zu", index,
              prev, 11 + payload.size());
}

void check_tag(const OutBuf& b, const rtmp::Message& m, size_t index) {
  check_tag(b, m.type, m.timestamp, m.payload, index);
}

void check_pts(const OutBuf& b, GstClockTime expected, size_t index) {
  fail_unless(b.pts == expected, "buffer %zu: PTS %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT,
              index, GST_TIME_ARGS(b.pts), GST_TIME_ARGS(expected));
}
// The checks every error case shares: one RESOURCE error from rtmpsrc, the URL without the
// password in its text.
void check_error(const BusError& e, GstResourceError code, const std::string& safe_url,
                 std::initializer_list<const char*> must_contain) {
  fail_unless(e.got, "no ERROR on the bus");
  GST_INFO("error: %s (%s)", e.text.c_str(), e.debug.c_str());
  fail_unless(e.count == 1, "%d ERROR messages for one failure (the first: %s)", e.count,
              e.text.c_str());
  fail_unless(e.before_eos, "EOS came before the ERROR: %s", e.text.c_str());
  assert_str_eq(e.source, "src");
  fail_unless(e.domain == GST_RESOURCE_ERROR, "error domain is %s, not GST_RESOURCE_ERROR: %s",
              g_quark_to_string(e.domain), e.text.c_str());
  fail_unless(e.code == code, "error code is %s, expected %s: %s", resource_code_name(e.code),
              resource_code_name(code), e.text.c_str());
  fail_unless(contains(e.text, safe_url), "error text lacks the URL '%s': %s", safe_url.c_str(),
              e.text.c_str());
  for (const char* s : must_contain)
    fail_unless(contains(e.text, s), "error text lacks '%s': %s", s, e.text.c_str());
  fail_if(contains(e.text, kPassword), "the password leaked into the error text: %s",
          e.text.c_str());
  fail_if(contains(e.debug, kPassword), "the password leaked into the debug string: %s",
          e.debug.c_str());
}
namespace {

// Reads until the client's Set Buffer Length (which follows play), so that closing leaves no
// unread input (a FIN, not a reset).
bool read_set_buffer_length(FakeConnection& c) {
  for (;;) {
    auto m = c.read_message(kHandlerTimeoutMs);
    if (!m) return false;
    if (m->type != static_cast<uint8_t>(rtmp::MessageType::kUserControl)) continue;
    auto uc = rtmp::control::parse_user_control(m->payload);
    if (uc && uc->event == static_cast<uint16_t>(rtmp::control::UserControlEvent::kSetBufferLength))
      return true;
  }
}

}  // namespace

FakeRtmpServer::Handler scripted(const Script* script, ServerRecord* rec) {
  return [script, rec](FakeConnection& c) {
    if (!c.handshake(kHandlerTimeoutMs) || !c.answer_connect() || !c.answer_create_stream()) return;
    if (script->end == End::kStreamNotFound || script->end == End::kPlayFailed) {
      auto play = c.expect_command("play", kHandlerTimeoutMs);
      if (!play) return;
      rec->play_refused = true;
      if (script->end == End::kStreamNotFound)
        c.send_status(1, "error", "NetStream.Play.StreamNotFound", "No such stream");
      else
        c.send_status(1, "error", "NetStream.Play.Failed", "Play failed");
      rec->closed_by_client = c.read_until_closed(20000);
      rec->log = c.received();
      return;
    }
    if (!c.accept_play(kHandlerTimeoutMs, 1, script->recorded)) return;
    rec->playing = true;
    if (script->end == End::kClose && !read_set_buffer_length(c)) return;
    for (const auto& m : script->messages)
      if (!c.send_media(m.type, m.timestamp, m.payload)) return;
    using Ev = rtmp::control::UserControlEvent;
    switch (script->end) {
      case End::kPlayStop:
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing stream.");
        break;
      case End::kStreamEof:
        c.send_user_control(static_cast<uint16_t>(Ev::kStreamEof), 1);
        break;
      case End::kUnpublishNotify:
        c.send_status(1, "status", "NetStream.Play.UnpublishNotify", "stream is now unpublished.");
        break;
      case End::kClose:
        g_usleep(200 * 1000);  // the client has the media before the connection goes
        rec->log = c.received();
        c.close();
        return;
      case End::kSilent:
      case End::kNone:
      case End::kStreamNotFound:
      case End::kPlayFailed:
        break;
    }
    rec->closed_by_client = c.read_until_closed(30000);
    rec->log = c.received();
  };
}

// Plays `script` until EOS or an error (or kWaitMs), stops the pipeline promptly and returns
// what came out and what the server received.
PlayResult run_play(const Script& script, const std::function<void(SrcPipeline&)>& configure) {
  PlayResult r;
  FakeRtmpServer server(scripted(&script, &r.server));
  r.safe_url = safe_location(server.port());
  r.port = server.port();
  {
    SrcPipeline p(secret_location(server.port()));
    if (configure) configure(p);
    p.play();
    SrcPipeline::Collected c = p.collect(kWaitMs);
    r.buffers = std::move(c.buffers);
    r.eos = c.eos;
    if (r.eos) p.wait_bus_eos(3000);
    p.poll_bus(0);
    r.bus_eos = p.bus_eos();
    r.error = p.error();
    p.stop_promptly();
  }
  fail_unless(server.wait_finished(1, 5000), "the fake server's handler did not finish");
  return r;
}

// A played stream that ends normally: EOS on the bus, no error.
void check_clean_eos(const PlayResult& r) {
  fail_if(r.error.got, "ERROR on the bus: %s (%s)", r.error.text.c_str(), r.error.debug.c_str());
  fail_unless(r.eos, "the appsink got no EOS (%zu buffers)", r.buffers.size());
  fail_unless(r.bus_eos, "no EOS message on the bus");
}

// Header + one tag per message, in order, payloads as sent.
void check_output(const PlayResult& r, const std::vector<rtmp::Message>& sent, uint8_t flags) {
  fail_unless(r.buffers.size() == sent.size() + 1, "%zu buffers, expected the header + %zu tags",
              r.buffers.size(), sent.size());
  check_header(r.buffers[0], flags);
  for (size_t i = 0; i < sent.size(); i++) check_tag(r.buffers[i + 1], sent[i], i + 1);
}
