// The elements' session listener: connection states become element messages on the bus, errors
// go through the one error mapping.
#pragma once

#include <gst/gst.h>

#include <string>

#include "session/session_types.hpp"

namespace rtmpgst {

// Structure name of the state messages (GST_MESSAGE_ELEMENT). Fields: "state" (string, see
// rtmpsession::state_name), "previous-state" (string), "url" (string, never with the
// password), "attempt" (uint, 1 for the first connection), "reason" (string, may be empty).
inline constexpr const char* kStateMessageName = "rtmp-connection-state";
// Structure name of the congestion messages (GST_MESSAGE_ELEMENT, rtmpsink): "congested"
// (boolean), "queued-ms" (uint), "queued-bytes" (uint64), "send-rate" (double, bits/s),
// "bytes-sent" (uint64), "bytes-acked" (uint64, the server's last Acknowledgement),
// "frames-dropped" (uint64). Posted when congestion begins, every 500 ms while it lasts, and when
// it clears.
inline constexpr const char* kCongestionMessageName = "rtmp-congestion";

// The session's log goes to the element's own debug category (rtmpsink or rtmpsrc), the levels
// mapped one to one (rtmp::LogLevel kError..kTrace to GST_LEVEL_ERROR..GST_LEVEL_TRACE).
class ElementLogger : public rtmp::Logger {
 public:
  ElementLogger(GstElement* element, GstDebugCategory* category)
      : element_(element), category_(category) {}
  bool enabled(rtmp::LogLevel level) const override;
  void log(rtmp::LogLevel level, std::string_view text) override;

 private:
  GstElement* element_;
  GstDebugCategory* category_;
};

class BusListener : public rtmpsession::SessionListener {
 public:
  BusListener(GstElement* element, GstDebugCategory* category, rtmpsession::Role role,
              std::string safe_url)
      : element_(element), role_(role), url_(std::move(safe_url)), logger_(element, category) {}
  void on_state(const rtmpsession::StateChange& change) override;
  void on_error(const rtmpsession::SessionError& error) override;
  rtmp::Logger* logger() override { return &logger_; }
  void on_congestion(const rtmpsession::CongestionReport& report) override;

 private:
  GstElement* element_;
  rtmpsession::Role role_;
  std::string url_;
  ElementLogger logger_;
};

// The state category ("rtmpstate"), registered when the plugin loads.
void register_debug_categories();

}  // namespace rtmpgst
