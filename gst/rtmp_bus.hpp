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

class BusListener : public rtmpsession::SessionListener {
 public:
  BusListener(GstElement* element, rtmpsession::Role role, std::string safe_url)
      : element_(element), role_(role), url_(std::move(safe_url)) {}
  void on_state(const rtmpsession::StateChange& change) override;
  void on_error(const rtmpsession::SessionError& error) override;

 private:
  GstElement* element_;
  rtmpsession::Role role_;
  std::string url_;
};

}  // namespace rtmpgst
