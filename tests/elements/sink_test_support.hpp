// Shared by the rtmpsink element tests (test_rtmpsink_*.cpp): a synthetic FLV to publish and
// `appsrc ! rtmpsink` with a bus.
//
// Every wait is bounded; every pipeline case ends by setting the pipeline to NULL and checking
// that this returns promptly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "element_test_support.hpp"
#include "fake_server.hpp"
#include "flv/flv_reader.hpp"
#include "flv/flv_writer.hpp"
#include "rtmp/amf0.hpp"
#include "util/bytes.hpp"

// Last: gstcheck.h defines a `fail` macro that would break C++ headers included after it.
#include <gst/check/gstcheck.h>

using rtmp::amf0::Value;

inline constexpr const char* kSecret = "s3cr3t-Pa55";
inline constexpr int kHandlerTimeoutMs = 5000;
inline constexpr int kErrorWaitMs = 15000;
inline constexpr gint64 kPromptStopUs = 3 * G_USEC_PER_SEC;

// ---------------------------------------------------------------------------------------------
// Synthetic FLV: onMetaData, AAC and H.264 sequence headers, a few frames of each (one video frame
// larger than the 4096-byte chunk size, so it spans several chunks).

struct SyntheticFlv {
  rtmp::Bytes bytes;
  std::vector<rtmp::FlvTag> tags;
};

SyntheticFlv make_flv();
// An H.264 sequence header, then `frames` video frames of `frame_bytes` each, 33 ms apart, a key
// frame every 30.
SyntheticFlv make_video_flv(int frames, size_t frame_bytes);

// ---------------------------------------------------------------------------------------------
// appsrc ! rtmpsink with a bus.

struct SinkError {
  bool got = false;
  GQuark domain = 0;
  int code = -1;
  std::string text;
  std::string debug;
};

class SinkPipeline {
 public:
  SinkPipeline(const std::string& location, guint timeout_s) {
    pipeline_ = gst_pipeline_new("rtmpsink-test");
    src_ = gst_element_factory_make("appsrc", "src");
    sink_ = gst_element_factory_make("rtmpsink", "sink");
    fail_unless(pipeline_ && src_ && sink_, "could not create appsrc ! rtmpsink");
    GstCaps* caps = gst_caps_new_empty_simple("video/x-flv");
    g_object_set(src_, "caps", caps, "format", GST_FORMAT_BYTES, "max-bytes",
                 guint64{16 * 1024 * 1024}, nullptr);
    gst_caps_unref(caps);
    g_object_set(sink_, "location", location.c_str(), "timeout", timeout_s, nullptr);
    gst_bin_add_many(GST_BIN(pipeline_), src_, sink_, nullptr);
    fail_unless(gst_element_link(src_, sink_));
    bus_ = gst_element_get_bus(pipeline_);
  }

  ~SinkPipeline() {
    if (!stopped_) gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }

  GstElement* sink() const { return sink_; }
  GstBus* bus() const { return bus_; }

  // Queues the FLV bytes in uneven pieces (the sink must cope with any segmentation).
  void push_flv(const SyntheticFlv& flv) {
    static const size_t kPieces[] = {1, 12, 700, 4096, 3, 1500, 9000, 250};
    size_t pos = 0;
    for (size_t i = 0; pos < flv.bytes.size(); i++) {
      size_t n = std::min(kPieces[i % G_N_ELEMENTS(kPieces)], flv.bytes.size() - pos);
      GstBuffer* buf = gst_buffer_new_memdup(flv.bytes.data() + pos, n);
      GstFlowReturn ret = GST_FLOW_ERROR;
      g_signal_emit_by_name(src_, "push-buffer", buf, &ret);
      gst_buffer_unref(buf);
      fail_unless_equals_int(ret, GST_FLOW_OK);
      pos += n;
    }
  }

  void end_of_stream() {
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src_, "end-of-stream", &ret);
    fail_unless_equals_int(ret, GST_FLOW_OK);
  }

  GstStateChangeReturn play() { return gst_element_set_state(pipeline_, GST_STATE_PLAYING); }

  // Waits for an ERROR posted by the sink (errors from other elements, such as appsrc's
  // "internal data stream error" after the sink returned a flow error, are skipped).
  SinkError wait_sink_error(int timeout_ms) {
    SinkError e;
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      // A timeout of 0 still takes a message that is already there.
      gint64 left = std::max<gint64>(0, deadline - g_get_monotonic_time());
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, left * GST_USECOND, GST_MESSAGE_ERROR);
      if (!msg) return e;
      bool from_sink = GST_MESSAGE_SRC(msg) == GST_OBJECT(sink_);
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      if (from_sink) {
        e.got = true;
        e.domain = err->domain;
        e.code = err->code;
        e.text = err->message ? err->message : "";
        e.debug = debug ? debug : "";
      } else {
        GST_INFO("error from %s (skipped): %s", GST_MESSAGE_SRC_NAME(msg), err->message);
      }
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
      if (from_sink) return e;
    }
  }

  // Waits for EOS; any ERROR on the way is returned in *error and ends the wait.
  bool wait_eos(int timeout_ms, SinkError* error) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    for (;;) {
      gint64 left = deadline - g_get_monotonic_time();
      if (left <= 0) return false;
      GstMessage* msg = gst_bus_timed_pop_filtered(
          bus_, left * GST_USECOND,
          static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
      if (!msg) return false;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        gst_message_unref(msg);
        return true;
      }
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      error->got = true;
      error->domain = err->domain;
      error->code = err->code;
      error->text = std::string(GST_MESSAGE_SRC_NAME(msg)) + ": " + err->message;
      error->debug = debug ? debug : "";
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
      return false;
    }
  }

  // Sets the pipeline to NULL and checks that this succeeds promptly.
  void stop_promptly() {
    gint64 start = g_get_monotonic_time();
    GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_NULL);
    gint64 took = g_get_monotonic_time() - start;
    stopped_ = true;
    fail_unless_equals_int(ret, GST_STATE_CHANGE_SUCCESS);
    fail_unless(took < kPromptStopUs, "setting the pipeline to NULL took %" G_GINT64_FORMAT " us",
                took);
  }

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  GstElement* sink_ = nullptr;
  GstBus* bus_ = nullptr;
  bool stopped_ = false;
};

std::string secret_location(uint16_t port, const std::string& path = "app/stream");
std::string safe_location(uint16_t port, const std::string& path = "app/stream");
