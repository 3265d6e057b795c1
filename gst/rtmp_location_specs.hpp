// The enum and flags types of the shared properties.
#pragma once

#include <gst/gst.h>

#include "rtmp_location.hpp"

namespace rtmpgst {

GType handshake_mode_get_type();
GType authmod_get_type();
GType scheme_get_type();

}  // namespace rtmpgst
