// Shared by the rtmpsrc element tests (test_rtmpsrc_*.cpp): what the scripted fake server sends
// (payload builders, a log of what it receives, a scripted play), what the element outputs (FLV
// header and tag checks), and `rtmpsrc ! appsink` with a bus.
//
// Pipelines are `rtmpsrc ! appsink` (sync=false, async=false) with a bus. Every wait is bounded;
// every pipeline case ends by setting the pipeline to NULL and checking that this returns within
// one second (waits and timing bounds scale with CK_TIMEOUT_MULTIPLIER under valgrind).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "element_test_support.hpp"
#include "fake_server.hpp"
#include "rtmp/amf0.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/control.hpp"
#include "rtmp/message.hpp"
#include "util/bytes.hpp"

// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

using rtmp::amf0::Value;

// Waits and timing bounds are multiplied by CK_TIMEOUT_MULTIPLIER (the valgrind test setup sets
// it).
int slowdown();

inline constexpr const char* kPassword = "secret";
inline const int kHandlerTimeoutMs = 5000 * slowdown();
inline const int kWaitMs = 10000 * slowdown();
inline constexpr gint64 kPromptStopUs = G_USEC_PER_SEC;
// How long after an ERROR the tests keep watching the bus for a second one.
inline constexpr int kFollowUpErrorMs = 250;
inline constexpr uint8_t kAudio = 8;
inline constexpr uint8_t kVideo = 9;
inline constexpr uint8_t kData = 18;
inline constexpr uint8_t kAggregate = 22;
inline constexpr uint8_t kFlagAudio = 0x04;
inline constexpr uint8_t kFlagVideo = 0x01;

std::string secret_location(uint16_t port);
std::string safe_location(uint16_t port);

// ---------------------------------------------------------------------------------------------
// What the server sends.

rtmp::Bytes pattern(size_t n, uint32_t seed);
// Video payload: FLV video tag data (keyframe or inter frame, AVC NALU) and a body.
rtmp::Bytes video(size_t n, uint32_t seed, bool key = false);
rtmp::Bytes audio(size_t n, uint32_t seed);
rtmp::Bytes amf_values(std::initializer_list<Value> values);
Value meta_audio_only();
Value meta_video_only();
Value meta_both(double duration = 0);
rtmp::Bytes on_metadata(const Value& md);
rtmp::Message msg(uint8_t type, uint32_t ts, rtmp::Bytes payload);
std::optional<rtmp::commands::Command> as_command(const rtmp::Message& m);

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

OutBuf to_out(GstSample* sample);

// The FLV header: "FLV", version 1, flags, data offset 9, PreviousTagSize0 = 0; flagged HEADER.
void check_header(const OutBuf& b, uint8_t flags);

// Exactly one FLV tag: 11-byte header (type, size, timestamp low 24 bits + extended byte, stream
// id 0), the payload as the server sent it, PreviousTagSize = 11 + size.
void check_tag(const OutBuf& b, uint8_t type, uint32_t ts, const rtmp::Bytes& payload,
               size_t index);
void check_tag(const OutBuf& b, const rtmp::Message& m, size_t index);
void check_pts(const OutBuf& b, GstClockTime expected, size_t index);

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
  int count = 0;            // ERROR messages seen (one failure must post exactly one)
};

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
        error_.count++;
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

  // Waits for an ERROR on the bus, then a little longer for any further ERROR the same failure
  // might post (GstBaseSrc's "Internal data stream error" follows a flow error at once).
  const BusError& wait_error(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    while (!error_.got && g_get_monotonic_time() < deadline) poll_bus(50);
    if (error_.got) {
      gint64 grace = g_get_monotonic_time() + gint64{kFollowUpErrorMs} * 1000 * slowdown();
      while (g_get_monotonic_time() < grace) poll_bus(20);
    }
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
                 std::initializer_list<const char*> must_contain = {});

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

FakeRtmpServer::Handler scripted(const Script* script, ServerRecord* rec);

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
                    const std::function<void(SrcPipeline&)>& configure = nullptr);

// A played stream that ends normally: EOS on the bus, no error.
void check_clean_eos(const PlayResult& r);

// Header + one tag per message, in order, payloads as sent.
void check_output(const PlayResult& r, const std::vector<rtmp::Message>& sent, uint8_t flags);
