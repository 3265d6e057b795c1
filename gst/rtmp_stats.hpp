// The `stats` property structure, the same for both elements.
#pragma once

#include <gst/gst.h>

#include "session/session_types.hpp"

namespace rtmpgst {

// A GstStructure named "application/x-rtmp-stats"; fields are documented in docs/elements.md.
GstStructure* stats_to_structure(const rtmpsession::SessionStats& stats);

}  // namespace rtmpgst
