// The one place where session failures become GStreamer error messages.
#pragma once

#include <gst/gst.h>

#include "session/session_types.hpp"

namespace rtmpgst {

// The GST_RESOURCE_ERROR code for a failure; exposed for tests and documentation.
GstResourceError resource_error_code(const rtmpsession::SessionError& error,
                                     rtmpsession::Role role);
// Posts an ERROR message on the bus: text names the URL (never the password) and the cause.
void post_session_error(GstElement* element, const rtmpsession::SessionError& error,
                        rtmpsession::Role role, const std::string& safe_url);

}  // namespace rtmpgst
