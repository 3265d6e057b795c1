// Element tests for rtmpsrc against the scripted fake server: the cases no real server produces
// on demand (32-bit timestamp wrap, aggregates, data message wrappers, StreamIsRecorded, seek with
// stale media in flight, every way a stream can end or fail, back-pressure).
//
// Pipelines are `rtmpsrc ! appsink` (sync=false, async=false) with a bus. Every wait is bounded;
// every pipeline case ends by setting the pipeline to NULL and checking that this returns within
// one second (waits and timing bounds scale with CK_TIMEOUT_MULTIPLIER under valgrind).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_server.hpp"
#include "rtmp/amf0.hpp"
#include "rtmp/bytes.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/control.hpp"
#include "rtmp/flv_reader.hpp"
#include "rtmp/message.hpp"

// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

// String equality for std::string expressions.
#define assert_str_eq(actual, expected)                                                  \
  do {                                                                                   \
    const std::string a_ = (actual);                                                     \
    const std::string e_ = (expected);                                                   \
    fail_unless(a_ == e_, "%s is '%s', expected '%s'", #actual, a_.c_str(), e_.c_str()); \
  } while (0)

namespace {

using rtmp::amf0::Value;

// Waits and timing bounds are multiplied by CK_TIMEOUT_MULTIPLIER (the valgrind test setup sets
// it).
int slowdown() {
  const char* m = g_getenv("CK_TIMEOUT_MULTIPLIER");
  gint64 f = m ? g_ascii_strtoll(m, nullptr, 10) : 1;
  return f > 1 && f < 100 ? static_cast<int>(f) : 1;
}

constexpr const char* kPassword = "secret";
const int kHandlerTimeoutMs = 5000 * slowdown();
const int kWaitMs = 10000 * slowdown();
constexpr gint64 kPromptStopUs = G_USEC_PER_SEC;
constexpr uint8_t kAudio = 8;
constexpr uint8_t kVideo = 9;
constexpr uint8_t kData = 18;
constexpr uint8_t kAggregate = 22;
constexpr uint8_t kFlagAudio = 0x04;
constexpr uint8_t kFlagVideo = 0x01;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool wait_until(const std::function<bool()>& condition, int timeout_ms) {
  gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
  while (!condition()) {
    if (g_get_monotonic_time() >= deadline) return false;
    g_usleep(10 * 1000);
  }
  return true;
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
rtmp::Bytes video(size_t n, uint32_t seed, bool key = false) {
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

Value meta_both(double duration = 0) {
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

// Messages the server received after it started playing, shared with the test thread.
class ServerLog {
 public:
  void add(const rtmp::Message& m) {
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(m);
    }
    cv_.notify_all();
  }
  // Waits until `count` commands named `name` were received.
  bool wait_commands(const std::string& name, size_t count, int timeout_ms) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return count_locked(name) >= count; });
  }
  struct Received {
    rtmp::commands::Command c;
    uint32_t stream_id = 0;
  };
  std::vector<Received> commands(const std::string& name) {
    std::lock_guard lock(mutex_);
    std::vector<Received> out;
    for (const auto& m : messages_) {
      auto c = as_command(m);
      if (c && c->name == name) out.push_back({std::move(*c), m.stream_id});
    }
    return out;
  }

 private:
  size_t count_locked(const std::string& name) const {
    size_t n = 0;
    for (const auto& m : messages_) {
      auto c = as_command(m);
      if (c && c->name == name) n++;
    }
    return n;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<rtmp::Message> messages_;
};

// ---------------------------------------------------------------------------------------------
// What the element outputs.

struct OutBuf {
  rtmp::Bytes data;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstClockTime dts = GST_CLOCK_TIME_NONE;
  bool header = false;
  bool discont = false;
  GstSegment segment{};
};

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

// ---------------------------------------------------------------------------------------------
// rtmpsrc ! appsink with a bus.

struct BusError {
  bool got = false;
  std::string source;
  GQuark domain = 0;
  int code = -1;
  std::string text;
  std::string debug;
  bool before_eos = false;  // posted before any EOS message
};

const char* resource_code_name(int code) {
  GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_ref(GST_TYPE_RESOURCE_ERROR));
  GEnumValue* v = g_enum_get_value(klass, code);
  const char* name = v ? v->value_nick : "?";
  g_type_class_unref(klass);
  return name;
}

class SrcPipeline {
 public:
  explicit SrcPipeline(const std::string& location) {
    pipeline_ = gst_pipeline_new("rtmpsrc-test");
    src_ = gst_element_factory_make("rtmpsrc", "src");
    sink_ = gst_element_factory_make("appsink", "sink");
    fail_unless(pipeline_ && src_ && sink_, "could not create rtmpsrc ! appsink");
    g_object_set(src_, "location", location.c_str(), "timeout", 5u, nullptr);
    // Buffers as they come (no clock sync); state changes do not wait for a preroll buffer.
    g_object_set(sink_, "sync", FALSE, "async", FALSE, "emit-signals", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline_), src_, sink_, nullptr);
    fail_unless(gst_element_link(src_, sink_));
    bus_ = gst_element_get_bus(pipeline_);
  }

  ~SrcPipeline() {
    if (!stopped_) gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }

  GstElement* pipeline() const { return pipeline_; }
  GstElement* src() const { return src_; }
  GstElement* sink() const { return sink_; }

  void play() {
    GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    fail_if(ret == GST_STATE_CHANGE_FAILURE, "could not set the pipeline to PLAYING");
  }

  // Takes ERROR and EOS messages from the bus (waiting up to timeout_ms for one); the first
  // error is kept, later ones are logged.
  void poll_bus(int timeout_ms) {
    GstClockTime wait = timeout_ms > 0 ? GstClockTime(timeout_ms) * GST_MSECOND : 0;
    while (GstMessage* m = gst_bus_timed_pop_filtered(
               bus_, wait, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
      wait = 0;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
        bus_eos_ = true;
      } else {
        GError* err = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(m, &err, &debug);
        GST_INFO("ERROR from %s: %s (%s)", GST_MESSAGE_SRC_NAME(m), err->message,
                 debug ? debug : "");
        if (!error_.got) {
          error_.got = true;
          error_.source = GST_MESSAGE_SRC_NAME(m);
          error_.domain = err->domain;
          error_.code = err->code;
          error_.text = err->message ? err->message : "";
          error_.debug = debug ? debug : "";
          error_.before_eos = !bus_eos_;
        }
        g_error_free(err);
        g_free(debug);
      }
      gst_message_unref(m);
    }
  }

  // The next buffer, waiting up to timeout_ms.
  std::optional<OutBuf> pull(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), 50 * GST_MSECOND);
      if (s) {
        OutBuf b = to_out(s);
        gst_sample_unref(s);
        return b;
      }
      poll_bus(0);
      if (gst_app_sink_is_eos(GST_APP_SINK(sink_)) || g_get_monotonic_time() >= deadline)
        return std::nullopt;
    }
  }

  // Pulls `n` buffers, failing the test when they do not come within timeout_ms each.
  std::vector<OutBuf> pull_n(size_t n, int timeout_ms = kWaitMs) {
    std::vector<OutBuf> out;
    for (size_t i = 0; i < n; i++) {
      auto b = pull(timeout_ms);
      fail_unless(b.has_value(), "buffer %zu of %zu did not come (error: %s)", i, n,
                  error_.text.c_str());
      out.push_back(std::move(*b));
    }
    return out;
  }

  struct Collected {
    std::vector<OutBuf> buffers;
    bool eos = false;  // the appsink got EOS and every buffer before it was taken
  };

  // Pulls buffers until EOS, an ERROR on the bus, or timeout_ms.
  Collected collect(int timeout_ms) {
    Collected c;
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), 50 * GST_MSECOND);
      if (s) {
        c.buffers.push_back(to_out(s));
        gst_sample_unref(s);
        continue;
      }
      poll_bus(0);
      if (gst_app_sink_is_eos(GST_APP_SINK(sink_))) {
        c.eos = true;
        return c;
      }
      if (error_.got || g_get_monotonic_time() >= deadline) return c;
    }
  }

  // Waits for the EOS message on the bus (after the appsink reached EOS).
  bool wait_bus_eos(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    while (!bus_eos_ && !error_.got && g_get_monotonic_time() < deadline) poll_bus(50);
    return bus_eos_;
  }

  // Waits for an ERROR on the bus.
  const BusError& wait_error(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    while (!error_.got && g_get_monotonic_time() < deadline) poll_bus(50);
    return error_;
  }

  const BusError& error() const { return error_; }
  bool bus_eos() const { return bus_eos_; }

  // Sets the pipeline to NULL and checks that this succeeds within one second.
  void stop_promptly() {
    gint64 start = g_get_monotonic_time();
    GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_NULL);
    gint64 took = g_get_monotonic_time() - start;
    stopped_ = true;
    fail_unless_equals_int(ret, GST_STATE_CHANGE_SUCCESS);
    fail_unless(took < kPromptStopUs * slowdown(),
                "setting the pipeline to NULL took %" G_GINT64_FORMAT " us", took);
  }

  GstStructure* stats() const {
    GstStructure* s = nullptr;
    g_object_get(src_, "stats", &s, nullptr);
    fail_unless(s != nullptr, "no stats");
    return s;
  }

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  GstElement* sink_ = nullptr;
  GstBus* bus_ = nullptr;
  bool stopped_ = false;
  bool bus_eos_ = false;
  BusError error_;
};

// The checks every error case shares: one RESOURCE error from rtmpsrc, the URL without the
// password in its text.
void check_error(const BusError& e, GstResourceError code, const std::string& safe_url,
                 std::initializer_list<const char*> must_contain = {}) {
  fail_unless(e.got, "no ERROR on the bus");
  GST_INFO("error: %s (%s)", e.text.c_str(), e.debug.c_str());
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

// ---------------------------------------------------------------------------------------------
// A scripted play: the server accepts (live or recorded), sends `messages`, then ends the stream
// as `end` says and waits for the client to close.

enum class End {
  kNone,             // nothing: keeps reading until the client closes
  kPlayStop,         // onStatus NetStream.Play.Stop
  kStreamEof,        // User Control StreamEOF (1) for stream 1
  kUnpublishNotify,  // onStatus NetStream.Play.UnpublishNotify
  kClose,            // closes the TCP connection
  kSilent,           // sends nothing more, reads until the client closes
  kStreamNotFound,   // answers play with NetStream.Play.StreamNotFound (no Play.Start)
  kPlayFailed,       // answers play with NetStream.Play.Failed, level error (no Play.Start)
};

struct Script {
  bool recorded = false;
  std::vector<rtmp::Message> messages;
  End end = End::kPlayStop;
};

struct ServerRecord {
  bool playing = false;
  bool play_refused = false;
  bool closed_by_client = false;
  std::vector<rtmp::Message> log;  // every message the server received
};

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

struct PlayResult {
  std::vector<OutBuf> buffers;
  bool eos = false;      // the appsink reached EOS (all buffers taken)
  bool bus_eos = false;  // and the pipeline posted EOS
  BusError error;
  std::string safe_url;
  uint16_t port = 0;
  ServerRecord server;
};

// Plays `script` until EOS or an error (or kWaitMs), stops the pipeline promptly and returns
// what came out and what the server received.
PlayResult run_play(const Script& script,
                    const std::function<void(SrcPipeline&)>& configure = nullptr) {
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

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. Output format: the header's flags from the first message, then one tag per buffer.

static void run_header_case(const char* what, std::vector<rtmp::Message> sent, uint8_t flags) {
  GST_INFO("header case: %s", what);
  Script s;
  s.messages = sent;
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, sent, flags);
}

GST_START_TEST(test_header_audio_only_metadata) {
  run_header_case("audio-only onMetaData",
                  {msg(kData, 0, on_metadata(meta_audio_only())), msg(kAudio, 0, audio(100, 1)),
                   msg(kAudio, 23, audio(110, 2))},
                  kFlagAudio);
}
GST_END_TEST;

GST_START_TEST(test_header_video_only_metadata) {
  run_header_case("video-only onMetaData",
                  {msg(kData, 0, on_metadata(meta_video_only())),
                   msg(kVideo, 0, video(500, 1, true)), msg(kVideo, 33, video(200, 2))},
                  kFlagVideo);
}
GST_END_TEST;

GST_START_TEST(test_header_both_metadata) {
  run_header_case("audio+video onMetaData",
                  {msg(kData, 0, on_metadata(meta_both())), msg(kVideo, 0, video(500, 1, true)),
                   msg(kAudio, 0, audio(100, 2)), msg(kVideo, 33, video(9000, 3))},
                  kFlagAudio | kFlagVideo);
}
GST_END_TEST;

GST_START_TEST(test_header_media_first) {
  run_header_case("media first, no metadata",
                  {msg(kAudio, 0, audio(100, 1)), msg(kVideo, 0, video(300, 2, true)),
                   msg(kData, 10, on_metadata(meta_audio_only()))},
                  kFlagAudio | kFlagVideo);
}
GST_END_TEST;

// 2. Timestamps of a live stream: PTS relative to the first message; across a 32-bit wrap the
// PTS keep increasing while the tag keeps the 32-bit value.
GST_START_TEST(test_live_timestamps) {
  Script s;
  s.messages = {msg(kVideo, 1000, video(100, 1, true)), msg(kAudio, 1040, audio(50, 2)),
                msg(kVideo, 1100, video(120, 3))};
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);
  check_pts(r.buffers[1], 0, 1);
  check_pts(r.buffers[2], 40 * GST_MSECOND, 2);
  check_pts(r.buffers[3], 100 * GST_MSECOND, 3);
}
GST_END_TEST;

GST_START_TEST(test_timestamp_wrap) {
  Script s;
  // Extended timestamps (>= 0xFFFFFF) on the wire; the fake server's chunk writer sends the
  // wrap itself as a type 0 header with the new, small absolute timestamp.
  s.messages = {msg(kVideo, 0xFFFFFF00u, video(100, 1, true)),
                msg(kVideo, 0xFFFFFFF0u, video(100, 2)), msg(kVideo, 0x00000010u, video(100, 3)),
                msg(kVideo, 0x00000030u, video(100, 4))};
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);  // the tags hold the 32-bit values
  // 0xFFFFFFF0 - 0xFFFFFF00 = 0xF0; 2^32 + 0x10 - 0xFFFFFF00 = 0x110; 2^32 + 0x30 - ... = 0x130.
  check_pts(r.buffers[1], 0, 1);
  check_pts(r.buffers[2], 240 * GST_MSECOND, 2);
  check_pts(r.buffers[3], 272 * GST_MSECOND, 3);
  check_pts(r.buffers[4], 304 * GST_MSECOND, 4);
}
GST_END_TEST;

// 3. An aggregate message becomes one tag per sub-message, timestamps rebased on the aggregate's.
namespace {

void put_sub(rtmp::Bytes& out, uint8_t type, uint32_t ts, const rtmp::Bytes& data) {
  size_t start = out.size();
  rtmp::put_u8(out, type);
  rtmp::put_u24be(out, static_cast<uint32_t>(data.size()));
  rtmp::put_u24be(out, ts & 0xFFFFFF);
  rtmp::put_u8(out, static_cast<uint8_t>(ts >> 24));
  rtmp::put_u24be(out, 1);  // sub-message stream id
  out.insert(out.end(), data.begin(), data.end());
  rtmp::put_u32be(out, static_cast<uint32_t>(out.size() - start));  // back pointer
}

}  // namespace

GST_START_TEST(test_aggregate) {
  // Sub-timestamps T, T+20, T+40 with T using the extended byte; aggregate timestamp A.
  const uint32_t T = 0x01000010u;
  const uint32_t A = 5000;
  rtmp::Bytes v1 = video(700, 1, true), a1 = audio(90, 2), v2 = video(300, 3);
  rtmp::Bytes agg;
  put_sub(agg, kVideo, T, v1);
  put_sub(agg, kAudio, T + 20, a1);
  put_sub(agg, kVideo, T + 40, v2);
  Script s;
  s.messages = {msg(kAggregate, A, agg), msg(kAudio, A + 60, audio(80, 4))};
  PlayResult r = run_play(s);
  check_clean_eos(r);
  std::vector<rtmp::Message> expected = {msg(kVideo, A, v1), msg(kAudio, A + 20, a1),
                                         msg(kVideo, A + 40, v2), s.messages[1]};
  check_output(r, expected, kFlagAudio | kFlagVideo);
  for (size_t i = 1; i < r.buffers.size(); i++)
    check_pts(r.buffers[i], (i - 1) * 20 * GST_MSECOND, i);
}
GST_END_TEST;

// 4. Data messages: |RtmpSampleAccess is dropped, @setDataFrame is unwrapped, onMetaData passes.
GST_START_TEST(test_data_messages) {
  Value md1 = meta_both(12.5);
  Value md2 = Value::EcmaArray({{"duration", Value::Number(12.5)},
                                {"videocodecid", Value::Number(7)},
                                {"audiocodecid", Value::Number(10)},
                                {"server", Value::String("fake")}});
  Script s;
  s.messages = {
      msg(kData, 0,
          amf_values(
              {Value::String("|RtmpSampleAccess"), Value::Boolean(false), Value::Boolean(false)})),
      msg(kData, 0, amf_values({Value::String("@setDataFrame"), Value::String("onMetaData"), md1})),
      msg(kData, 0, on_metadata(md2)),
      msg(kVideo, 0, video(400, 1, true)),
  };
  PlayResult r = run_play(s);
  check_clean_eos(r);
  std::vector<rtmp::Message> expected = {msg(kData, 0, on_metadata(md1)),
                                         msg(kData, 0, on_metadata(md2)), s.messages[3]};
  check_output(r, expected, kFlagAudio | kFlagVideo);
}
GST_END_TEST;

// 5a. A live stream (no StreamIsRecorded): live latency, not seekable, no duration, seeks fail.
namespace {

bool query_latency_live(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_latency();
  fail_unless(gst_pad_query(pad, q), "the LATENCY query was not answered");
  gboolean live = FALSE;
  gst_query_parse_latency(q, &live, nullptr, nullptr);
  gst_query_unref(q);
  gst_object_unref(pad);
  return live;
}

bool query_seekable(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_seeking(GST_FORMAT_TIME);
  fail_unless(gst_pad_query(pad, q), "the SEEKING query was not answered");
  GstFormat fmt;
  gboolean seekable = FALSE;
  gst_query_parse_seeking(q, &fmt, &seekable, nullptr, nullptr);
  fail_unless_equals_int(fmt, GST_FORMAT_TIME);
  gst_query_unref(q);
  gst_object_unref(pad);
  return seekable;
}

// The duration in TIME, or -1 when the query is not answered or has none.
gint64 query_duration(GstElement* src) {
  GstPad* pad = gst_element_get_static_pad(src, "src");
  GstQuery* q = gst_query_new_duration(GST_FORMAT_TIME);
  gint64 d = -1;
  if (gst_pad_query(pad, q)) gst_query_parse_duration(q, nullptr, &d);
  gst_query_unref(q);
  gst_object_unref(pad);
  return d;
}

}  // namespace

GST_START_TEST(test_live_queries) {
  ServerLog log;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    c.send_media(kData, 0, on_metadata(meta_both(4.5)));
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(200, i, i == 0));
    while (auto m = c.read_message(-1)) log.add(*m);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  std::vector<OutBuf> b = p.pull_n(5);
  check_header(b[0], kFlagAudio | kFlagVideo);
  fail_unless(query_latency_live(p.src()), "a live stream answers the LATENCY query non-live");
  fail_if(query_seekable(p.src()), "a live stream says it is seekable");
  gint64 d = query_duration(p.src());
  fail_unless(d == -1, "a live stream answers a duration: %" GST_TIME_FORMAT,
              GST_TIME_ARGS(GstClockTime(d)));
  fail_if(
      gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND),
      "a seek on a live stream succeeded");
  g_usleep(300 * 1000);
  fail_unless(log.commands("seek").empty(), "a seek command was sent for a live stream");
  p.poll_bus(0);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  p.stop_promptly();
}
GST_END_TEST;

// 5b. A recorded stream (StreamIsRecorded before Play.Start): not live, seekable, the duration
// from onMetaData; a flushing seek is sent as RTMP seek, and media the server sends before it
// confirms the seek (Seek.Notify) is not output.
GST_START_TEST(test_recorded_seek) {
  ServerLog log;
  std::vector<rtmp::Message> before = {msg(kData, 0, on_metadata(meta_both(4.5)))};
  for (uint32_t i = 0; i < 5; i++) before.push_back(msg(kVideo, i * 40, video(200, i, i == 0)));
  std::vector<rtmp::Message> after;
  for (uint32_t i = 0; i < 3; i++)
    after.push_back(msg(kVideo, 2000 + i * 40, video(150, 100 + i, i == 0)));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : before) c.send_media(m.type, m.timestamp, m.payload);
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "seek") continue;
      // Media from the old position, still on its way when the server took the seek.
      c.send_media(kVideo, 200, video(210, 50));
      c.send_media(kAudio, 220, audio(60, 51));
      // Then as nginx-rtmp answers a seek: StreamEOF, Seek.Notify, StreamBegin, new media.
      c.send_user_control(static_cast<uint16_t>(rtmp::control::UserControlEvent::kStreamEof), 1);
      c.send_status(1, "status", "NetStream.Seek.Notify", "Seeking 2000 (stream ID: 1).");
      c.send_user_control(static_cast<uint16_t>(rtmp::control::UserControlEvent::kStreamBegin), 1);
      for (const auto& a : after) c.send_media(a.type, a.timestamp, a.payload);
      c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  std::vector<OutBuf> b = p.pull_n(1 + before.size());
  check_header(b[0], kFlagAudio | kFlagVideo);
  for (size_t i = 0; i < before.size(); i++) {
    check_tag(b[i + 1], before[i], i + 1);
    check_pts(b[i + 1], before[i].timestamp * GST_MSECOND, i + 1);  // absolute when recorded
  }

  fail_if(query_latency_live(p.src()), "a recorded stream answers the LATENCY query live");
  fail_unless(query_seekable(p.src()), "a recorded stream says it is not seekable");
  gint64 d = query_duration(p.src());
  fail_unless(d == gint64(4500 * GST_MSECOND), "duration %" GST_TIME_FORMAT ", expected 4.5 s",
              GST_TIME_ARGS(GstClockTime(d)));

  fail_unless(
      gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND),
      "the seek failed");
  fail_unless(log.wait_commands("seek", 1, kWaitMs), "the server received no seek command");
  auto seeks = log.commands("seek");
  fail_unless_equals_int(seeks.size(), 1);
  fail_unless_equals_int(seeks[0].stream_id, 1);
  fail_unless(
      !seeks[0].c.arguments.empty() && seeks[0].c.arguments[0].is_number() &&
          seeks[0].c.arguments[0].number() == 2000.0,
      "seek command arguments: %s",
      seeks[0].c.arguments.empty() ? "none" : seeks[0].c.arguments[0].to_debug_string().c_str());

  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after the seek");
  fail_unless(c.buffers.size() == after.size(),
              "%zu buffers after the seek, expected %zu (stale media output?)", c.buffers.size(),
              after.size());
  for (size_t i = 0; i < after.size(); i++) {
    check_tag(c.buffers[i], after[i], i);
    check_pts(c.buffers[i], after[i].timestamp * GST_MSECOND, i);
  }
  fail_unless(c.buffers[0].discont, "the first buffer after the seek is not DISCONT");
  fail_unless(c.buffers[0].segment.format == GST_FORMAT_TIME &&
                  c.buffers[0].segment.start == 2 * GST_SECOND,
              "segment after the seek starts at %" GST_TIME_FORMAT,
              GST_TIME_ARGS(c.buffers[0].segment.start));
  fail_unless(p.wait_bus_eos(3000), "no EOS message");
  p.stop_promptly();
}
GST_END_TEST;

// 6. Pause: a recorded stream tells the server (pause true/false with the position); a live one
// does not.
GST_START_TEST(test_recorded_pause) {
  ServerLog log;
  std::vector<rtmp::Message> before = {msg(kData, 0, on_metadata(meta_both(10)))};
  for (uint32_t i = 0; i < 10; i++) before.push_back(msg(kVideo, i * 40, video(100, i, i == 0)));
  const rtmp::Message resumed = msg(kVideo, 400, video(100, 77));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : before) c.send_media(m.type, m.timestamp, m.payload);
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "pause") continue;
      if (cmd->arguments.empty() || cmd->arguments[0].boolean()) {
        c.send_status(1, "status", "NetStream.Pause.Notify", "Paused.");
      } else {
        c.send_status(1, "status", "NetStream.Unpause.Notify", "Unpaused.");
        c.send_media(resumed.type, resumed.timestamp, resumed.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(1 + before.size());

  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 1, kWaitMs), "PLAYING -> PAUSED sent no pause command");
  auto pauses = log.commands("pause");
  fail_unless_equals_int(pauses[0].stream_id, 1);
  fail_unless(pauses[0].c.arguments.size() >= 2, "pause has %zu arguments",
              pauses[0].c.arguments.size());
  fail_unless(pauses[0].c.arguments[0].type() == rtmp::amf0::Type::kBoolean &&
                  pauses[0].c.arguments[0].boolean(),
              "the first pause is not pause(true)");
  // The position: the timestamp of the last media message received (as librtmp does).
  fail_unless(pauses[0].c.arguments[1].number() == 360.0, "pause position %g, expected 360",
              pauses[0].c.arguments[1].number());

  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 2, kWaitMs), "PAUSED -> PLAYING sent no pause command");
  pauses = log.commands("pause");
  fail_unless_equals_int(pauses.size(), 2);
  fail_unless_equals_int(pauses[1].stream_id, 1);
  fail_unless(pauses[1].c.arguments.size() >= 2 &&
                  pauses[1].c.arguments[0].type() == rtmp::amf0::Type::kBoolean &&
                  !pauses[1].c.arguments[0].boolean(),
              "the second pause is not pause(false)");
  fail_unless(pauses[1].c.arguments[1].number() == 360.0, "resume position %g, expected 360",
              pauses[1].c.arguments[1].number());

  // Playing resumes: what the server sends after unpausing comes out, then EOS.
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], resumed, 0);
  p.stop_promptly();
}
GST_END_TEST;

GST_START_TEST(test_live_pause) {
  ServerLog log;
  std::atomic<bool> resumed{false};
  const rtmp::Message later = msg(kVideo, 1000, video(100, 99));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    for (uint32_t i = 0; i < 5; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    bool sent_later = false;
    for (;;) {
      auto m = c.read_message(50);
      if (m)
        log.add(*m);
      else if (c.peer_closed() || !c.error().empty())
        break;
      if (resumed.load() && !sent_later) {
        sent_later = true;
        c.send_media(later.type, later.timestamp, later.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(6);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  g_usleep(300 * 1000);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  g_usleep(300 * 1000);
  fail_unless(log.commands("pause").empty(), "a pause command was sent for a live stream");
  // The stream goes on after resuming.
  resumed = true;
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], later, 0);
  p.stop_promptly();
}
GST_END_TEST;

// A recorded stream paused for longer than idle-timeout: the server sends nothing because it was
// asked to pause, which is not a stalled stream ("seconds without media while playing").
GST_START_TEST(test_recorded_pause_idle_timeout) {
  ServerLog log;
  const rtmp::Message resumed = msg(kVideo, 400, video(100, 77));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "pause" || cmd->arguments.empty()) continue;
      if (cmd->arguments[0].boolean()) {
        c.send_status(1, "status", "NetStream.Pause.Notify", "Paused.");
      } else {
        c.send_status(1, "status", "NetStream.Unpause.Notify", "Unpaused.");
        c.send_media(resumed.type, resumed.timestamp, resumed.payload);
        c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
      }
    }
  });
  SrcPipeline p(secret_location(server.port()));
  g_object_set(p.src(), "idle-timeout", 1u, nullptr);
  p.play();
  p.pull_n(4);
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  fail_unless(log.wait_commands("pause", 1, kWaitMs), "PLAYING -> PAUSED sent no pause command");
  g_usleep(2500 * 1000);  // paused for 2.5 x idle-timeout
  p.poll_bus(0);
  fail_if(p.error().got, "ERROR while paused: %s", p.error().text.c_str());
  fail_if(gst_element_set_state(p.pipeline(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  SrcPipeline::Collected c = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS after resuming");
  fail_unless_equals_int(c.buffers.size(), 1);
  check_tag(c.buffers[0], resumed, 0);
  p.stop_promptly();
}
GST_END_TEST;

// A recorded stream played to its end can be played again by seeking back.
GST_START_TEST(test_recorded_seek_after_eos) {
  ServerLog log;
  std::vector<rtmp::Message> media;
  for (uint32_t i = 0; i < 3; i++) media.push_back(msg(kVideo, i * 40, video(100, i, i == 0)));
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    for (const auto& m : media) c.send_media(m.type, m.timestamp, m.payload);
    c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    while (auto m = c.read_message(-1)) {
      log.add(*m);
      auto cmd = as_command(*m);
      if (!cmd || cmd->name != "seek") continue;
      c.send_status(1, "status", "NetStream.Seek.Notify", "Seeking 0.");
      for (const auto& a : media) c.send_media(a.type, a.timestamp, a.payload);
      c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    }
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  SrcPipeline::Collected played = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(played.eos, "no EOS");
  fail_unless_equals_int(played.buffers.size(), 1 + media.size());
  fail_unless(gst_element_seek_simple(p.pipeline(), GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0),
              "the seek after EOS failed");
  fail_unless(log.wait_commands("seek", 1, kWaitMs), "the server received no seek command");
  auto seeks = log.commands("seek");
  fail_unless(!seeks[0].c.arguments.empty() && seeks[0].c.arguments[0].number() == 0.0);
  SrcPipeline::Collected again = p.collect(kWaitMs);
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(again.eos, "no EOS after playing again");
  fail_unless_equals_int(again.buffers.size(), media.size());
  for (size_t i = 0; i < media.size(); i++) {
    check_tag(again.buffers[i], media[i], i);
    check_pts(again.buffers[i], media[i].timestamp * GST_MSECOND, i);
  }
  fail_unless(again.buffers[0].discont, "the first buffer after the seek is not DISCONT");
  p.stop_promptly();
}
GST_END_TEST;

// RTMP cannot play backwards: a seek with a negative rate is refused, and no seek is sent.
GST_START_TEST(test_recorded_reverse_seek_refused) {
  ServerLog log;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, true)) return;
    c.send_media(kData, 0, on_metadata(meta_both(4.5)));
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(100, i, i == 0));
    while (auto m = c.read_message(-1)) log.add(*m);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(5);
  gboolean ok = gst_element_seek(p.pipeline(), -1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
                                 GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, 2 * GST_SECOND);
  g_usleep(300 * 1000);
  size_t seeks = log.commands("seek").size();
  GST_INFO("reverse seek returned %d; the server got %zu seek commands", ok, seeks);
  fail_if(ok, "a reverse (rate -1) seek was accepted");
  fail_unless_equals_int(seeks, 0);
  p.stop_promptly();
}
GST_END_TEST;

// 7. How a stream ends: EOS for the server's end-of-stream signals, errors for failures.
static std::vector<rtmp::Message> few_media() {
  return {msg(kVideo, 0, video(300, 1, true)), msg(kAudio, 10, audio(50, 2)),
          msg(kVideo, 40, video(120, 3))};
}

static void run_end_case(End end) {
  Script s;
  s.messages = few_media();
  s.end = end;
  PlayResult r = run_play(s);
  check_clean_eos(r);
  check_output(r, s.messages, kFlagAudio | kFlagVideo);
}

GST_START_TEST(test_end_play_stop) {
  run_end_case(End::kPlayStop);
}
GST_END_TEST;

GST_START_TEST(test_end_stream_eof) {
  run_end_case(End::kStreamEof);
}
GST_END_TEST;

GST_START_TEST(test_end_unpublish_notify) {
  run_end_case(End::kUnpublishNotify);
}
GST_END_TEST;

GST_START_TEST(test_server_closes_mid_play) {
  Script s;
  s.messages = few_media();
  s.end = End::kClose;
  PlayResult r = run_play(s);
  fail_unless(r.server.playing);
  check_error(r.error, GST_RESOURCE_ERROR_READ, r.safe_url);
}
GST_END_TEST;

GST_START_TEST(test_stream_not_found) {
  Script s;
  s.end = End::kStreamNotFound;
  PlayResult r = run_play(s);
  fail_unless(r.server.play_refused);
  check_error(r.error, GST_RESOURCE_ERROR_NOT_FOUND, r.safe_url, {"NetStream.Play.StreamNotFound"});
}
GST_END_TEST;

GST_START_TEST(test_play_failed) {
  Script s;
  s.end = End::kPlayFailed;
  PlayResult r = run_play(s);
  fail_unless(r.server.play_refused);
  check_error(r.error, GST_RESOURCE_ERROR_OPEN_READ, r.safe_url, {"NetStream.Play.Failed"});
}
GST_END_TEST;

GST_START_TEST(test_idle_timeout) {
  Script s;
  s.messages = few_media();
  s.end = End::kSilent;
  ServerRecord rec;
  FakeRtmpServer server(scripted(&s, &rec));
  SrcPipeline p(secret_location(server.port()));
  g_object_set(p.src(), "idle-timeout", 1u, nullptr);
  p.play();
  p.pull_n(1 + s.messages.size());
  gint64 last_media = g_get_monotonic_time();
  const BusError& e = p.wait_error(5000);
  gint64 took_ms = (g_get_monotonic_time() - last_media) / 1000;
  GST_INFO("idle error %" G_GINT64_FORMAT " ms after the last media", took_ms);
  check_error(e, GST_RESOURCE_ERROR_READ, safe_location(server.port()), {"idle-timeout"});
  fail_unless(took_ms >= 500 / slowdown() && took_ms <= 2000 * slowdown(),
              "the idle-timeout error came %" G_GINT64_FORMAT " ms after the last media", took_ms);
  p.stop_promptly();
}
GST_END_TEST;

// 8. What the client sends to play: connect for playing, Window Acknowledgement Size,
// createStream, play on the new stream, Set Buffer Length for it.
GST_START_TEST(test_play_commands) {
  Script s;
  s.messages = few_media();
  PlayResult r = run_play(s);
  check_clean_eos(r);
  fail_unless(r.server.closed_by_client, "the client did not close the connection");
  const auto& log = r.server.log;
  struct Cmd {
    size_t index;
    rtmp::commands::Command c;
    uint32_t stream_id;
  };
  std::vector<Cmd> cmds;
  ssize_t window_ack = -1, buffer_length = -1;
  rtmp::control::UserControl set_buffer;
  for (size_t i = 0; i < log.size(); i++) {
    const auto& m = log[i];
    if (auto c = as_command(m)) cmds.push_back({i, std::move(*c), m.stream_id});
    if (m.type == static_cast<uint8_t>(rtmp::MessageType::kWindowAckSize) && window_ack < 0) {
      fail_unless(m.payload.size() >= 4);
      fail_unless_equals_int(rtmp::get_u32be(m.payload.data()), 2500000);
      window_ack = static_cast<ssize_t>(i);
    }
    if (m.type == static_cast<uint8_t>(rtmp::MessageType::kUserControl)) {
      auto uc = rtmp::control::parse_user_control(m.payload);
      fail_unless(uc.has_value(), "malformed user control message from the client");
      if (uc->event == static_cast<uint16_t>(rtmp::control::UserControlEvent::kSetBufferLength)) {
        fail_unless(buffer_length < 0, "two Set Buffer Length messages");
        buffer_length = static_cast<ssize_t>(i);
        set_buffer = *uc;
      }
    }
  }
  std::string names;
  for (const auto& c : cmds) names += c.c.name + " ";
  GST_INFO("commands: %s", names.c_str());
  fail_unless(cmds.size() >= 3, "commands: %s", names.c_str());
  assert_str_eq(cmds[0].c.name, "connect");
  assert_str_eq(cmds[1].c.name, "createStream");
  assert_str_eq(cmds[2].c.name, "play");

  // connect for playing: no type "nonprivate"; Flash player capabilities.
  const Value& obj = cmds[0].c.command_object;
  GST_INFO("connect: %s", obj.to_debug_string().c_str());
  assert_str_eq(obj.get_string("app").value_or(""), "app");
  assert_str_eq(obj.get_string("tcUrl").value_or(""),
                "rtmp://127.0.0.1:" + std::to_string(r.port) + "/app");
  fail_unless(obj.get("type") == nullptr, "connect for playing has a type: %s",
              obj.to_debug_string().c_str());
  const Value* fpad = obj.get("fpad");
  fail_unless(fpad && fpad->type() == rtmp::amf0::Type::kBoolean && !fpad->boolean(),
              "fpad is not false");
  fail_unless(obj.get_number("capabilities") == 15.0, "capabilities: %s",
              obj.to_debug_string().c_str());
  fail_unless(obj.get_number("audioCodecs") == 3191.0, "audioCodecs");
  fail_unless(obj.get_number("videoCodecs") == 252.0, "videoCodecs");
  fail_if(contains(obj.to_debug_string(), kPassword), "the password was sent in connect");

  // Window Acknowledgement Size, before connect.
  fail_unless(window_ack >= 0, "no Window Acknowledgement Size");
  fail_unless(static_cast<size_t>(window_ack) < cmds[0].index, "Window Ack Size after connect");

  // play on stream 1: name, start -2000 (live, else recorded), duration -1 (all), reset true.
  const auto& play = cmds[2];
  fail_unless_equals_int(play.stream_id, 1);
  fail_unless_equals_int(play.c.transaction_id, 0);
  fail_unless_equals_int(play.c.arguments.size(), 4);
  assert_str_eq(play.c.arguments[0].string(), "stream");
  fail_unless(play.c.arguments[1].number() == -2000.0, "play start %g",
              play.c.arguments[1].number());
  fail_unless(play.c.arguments[2].number() == -1.0, "play duration %g",
              play.c.arguments[2].number());
  fail_unless(
      play.c.arguments[3].type() == rtmp::amf0::Type::kBoolean && play.c.arguments[3].boolean(),
      "play reset is not true");

  // Set Buffer Length for stream 1 (the buffer-length default, 10 h), after play.
  fail_unless(buffer_length >= 0, "no Set Buffer Length");
  fail_unless(static_cast<size_t>(buffer_length) > play.index, "Set Buffer Length before play");
  fail_unless_equals_int(set_buffer.value, 1);
  fail_unless_equals_int(set_buffer.buffer_ms, 36000000);
}
GST_END_TEST;

// 8b. librtmp's live= option chooses play's start argument: unset -2000 (live, else recorded),
// live=1 -1000 (live only), live=0 0 (recorded only).
static double play_start_for(const std::string& options) {
  std::atomic<double> start{1.0};  // no play seen
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake(kHandlerTimeoutMs) || !c.answer_connect() || !c.answer_create_stream()) return;
    auto play = c.expect_command("play", kHandlerTimeoutMs);
    if (!play || play->arguments.size() < 2) return;
    start = play->arguments[1].number();
    c.send_status(1, "error", "NetStream.Play.StreamNotFound", "No such stream");
    c.read_until_closed(20000);
  });
  SrcPipeline p("rtmp://127.0.0.1:" + std::to_string(server.port()) + "/app/stream" + options);
  p.play();
  p.wait_error(5000);
  return start.load();
}

GST_START_TEST(test_live_option_play_start) {
  double unset = play_start_for("");
  fail_unless(unset == -2000.0, "default start %g", unset);
  double live = play_start_for(" live=1");
  fail_unless(live == -1000.0, "live=1 start %g", live);
  double recorded = play_start_for(" live=0");
  fail_unless(recorded == 0.0, "live=0 start %g", recorded);
}
GST_END_TEST;

// 9. Statistics while playing.
GST_START_TEST(test_stats_while_playing) {
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    for (uint32_t i = 0; i < 3; i++) c.send_media(kVideo, i * 40, video(1000, i, i == 0));
    c.read_until_closed(30000);
  });
  SrcPipeline p(secret_location(server.port()));
  p.play();
  p.pull_n(4);
  guint64 in_bytes = 0, in_messages = 0;
  std::string state;
  // The counters are published by the session's 100 ms tick: wait until they include what was
  // received so far (connect and createStream replies, user control, Play.Start, 3 media).
  bool ok = wait_until(
      [&] {
        GstStructure* s = p.stats();
        state = gst_structure_get_string(s, "state");
        gst_structure_get_uint64(s, "in-bytes-total", &in_bytes);
        gst_structure_get_uint64(s, "in-messages", &in_messages);
        gst_structure_free(s);
        return in_bytes > 3000 && in_messages >= 6;
      },
      2000 * slowdown());
  GST_INFO("stats: state %s, in-bytes-total %" G_GUINT64_FORMAT ", in-messages %" G_GUINT64_FORMAT,
           state.c_str(), in_bytes, in_messages);
  assert_str_eq(state, "playing");
  fail_unless(ok, "in-bytes-total %" G_GUINT64_FORMAT ", in-messages %" G_GUINT64_FORMAT, in_bytes,
              in_messages);
  p.stop_promptly();
}
GST_END_TEST;

// 10. Back-pressure: while nothing is taken downstream, the element does not read (and buffer)
// the whole stream; once data flows again, everything comes, in order.
namespace {

constexpr size_t kBigCount = 320;
constexpr size_t kBigSize = 64 * 1024;  // 320 x 64 KiB = 20 MiB

rtmp::Bytes big_payload(uint32_t i) {
  // Video tag data header, the sequence number, a pattern.
  rtmp::Bytes v = {static_cast<uint8_t>(i % 30 == 0 ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
  rtmp::put_u32be(v, i);
  rtmp::Bytes body = pattern(kBigSize - v.size(), i);
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

}  // namespace

GST_START_TEST(test_back_pressure) {
  std::atomic<size_t> sent{0};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_playing(kHandlerTimeoutMs, false)) return;
    if (!c.set_chunk_size(65536)) return;
    for (uint32_t i = 0; i < kBigCount; i++) {
      if (!c.send_media(kVideo, i * 10, big_payload(i))) return;
      sent = i + 1;
    }
    c.send_status(1, "status", "NetStream.Play.Stop", "Stopped playing.");
    c.read_until_closed(60000);
  });
  SrcPipeline p(secret_location(server.port()));
  g_object_set(p.sink(), "max-buffers", 1u, "drop", FALSE, nullptr);
  p.play();
  std::vector<OutBuf> header = p.pull_n(1);
  check_header(header[0], kFlagAudio | kFlagVideo);
  g_usleep(2 * G_USEC_PER_SEC);  // nothing taken downstream meanwhile
  GstStructure* s = p.stats();
  guint64 in_bytes = 0;
  gst_structure_get_uint64(s, "in-bytes-total", &in_bytes);
  GST_INFO("after 2 s without pulling: in-bytes-total %" G_GUINT64_FORMAT
           ", server sent %zu of %zu messages",
           in_bytes, sent.load(), kBigCount);
  assert_str_eq(gst_structure_get_string(s, "state"), "playing");
  gst_structure_free(s);
  fail_unless(in_bytes < 8 * 1024 * 1024,
              "the element read %" G_GUINT64_FORMAT " bytes while downstream took nothing",
              in_bytes);
  fail_unless(in_bytes > 0);

  SrcPipeline::Collected c = p.collect(60000 * slowdown());
  fail_if(p.error().got, "ERROR: %s", p.error().text.c_str());
  fail_unless(c.eos, "no EOS (%zu buffers)", c.buffers.size());
  fail_unless_equals_int(c.buffers.size(), kBigCount);
  for (uint32_t i = 0; i < kBigCount; i++) {
    check_tag(c.buffers[i], kVideo, i * 10, big_payload(i), i + 1);
    check_pts(c.buffers[i], i * 10 * GST_MSECOND, i + 1);
  }
  p.stop_promptly();
}
GST_END_TEST;

GST_START_TEST(test_factory_is_ours) {
  const char* expected = g_getenv("RTMP_PLUGIN_FILE");
  fail_unless(expected != nullptr && *expected, "RTMP_PLUGIN_FILE is not set");
  GstElementFactory* factory = gst_element_factory_find("rtmpsrc");
  fail_unless(factory != nullptr, "no rtmpsrc factory");
  GstPlugin* plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(factory));
  fail_unless(plugin != nullptr);
  gchar* real_expected = realpath(expected, nullptr);
  gchar* real_actual = realpath(gst_plugin_get_filename(plugin), nullptr);
  fail_unless(real_expected && real_actual, "cannot resolve the plugin file names");
  fail_unless_equals_string(real_actual, real_expected);
  free(real_expected);
  free(real_actual);
  gst_object_unref(plugin);
  gst_object_unref(factory);
}
GST_END_TEST;

static Suite* rtmpsrc_suite() {
  Suite* s = suite_create("rtmpsrc");
  TCase* format = tcase_create("format");
  suite_add_tcase(s, format);
  tcase_add_test(format, test_factory_is_ours);
  tcase_add_test(format, test_header_audio_only_metadata);
  tcase_add_test(format, test_header_video_only_metadata);
  tcase_add_test(format, test_header_both_metadata);
  tcase_add_test(format, test_header_media_first);
  tcase_add_test(format, test_live_timestamps);
  tcase_add_test(format, test_timestamp_wrap);
  tcase_add_test(format, test_aggregate);
  tcase_add_test(format, test_data_messages);

  TCase* control = tcase_create("control");
  suite_add_tcase(s, control);
  tcase_add_test(control, test_live_queries);
  tcase_add_test(control, test_recorded_seek);
  tcase_add_test(control, test_recorded_pause);
  tcase_add_test(control, test_live_pause);
  tcase_add_test(control, test_recorded_pause_idle_timeout);
  tcase_add_test(control, test_recorded_seek_after_eos);
  tcase_add_test(control, test_recorded_reverse_seek_refused);
  tcase_add_test(control, test_play_commands);
  tcase_add_test(control, test_stats_while_playing);
  tcase_add_test(control, test_back_pressure);

  TCase* end = tcase_create("end");
  suite_add_tcase(s, end);
  tcase_add_test(end, test_end_play_stop);
  tcase_add_test(end, test_end_stream_eof);
  tcase_add_test(end, test_end_unpublish_notify);
  tcase_add_test(end, test_server_closes_mid_play);
  tcase_add_test(end, test_stream_not_found);
  tcase_add_test(end, test_play_failed);
  tcase_add_test(end, test_live_option_play_start);
  tcase_add_test(end, test_idle_timeout);
  return s;
}

GST_CHECK_MAIN(rtmpsrc)
