// The properties rtmpsink and rtmpsrc share, declared once (like rtmp2's
// GstRtmpLocationHandler): the address (`location`, `scheme`, `host`, `port`, `application`,
// `stream`), `timeout`, `flash-version`, `extra-connect-args`, reconnection, handshake,
// credentials, TLS, proxy and `async-connect`. They read and write a config::Settings; the
// element's start() turns it into the connection description with config::validate().
#pragma once

#include <gst/gst.h>

#include "config/settings.hpp"
#include "session/session_types.hpp"

namespace rtmpgst {

enum LocationProp : guint {
  PROP_LOCATION = 1,
  PROP_SCHEME,
  PROP_HOST,
  PROP_PORT,
  PROP_APPLICATION,
  PROP_STREAM,
  PROP_TIMEOUT,
  PROP_FLASH_VERSION,
  PROP_RECONNECT_ATTEMPTS,
  PROP_RECONNECT_DELAY,
  PROP_RECONNECT_MAX_DELAY,
  PROP_EXTRA_CONNECT_ARGS,
  PROP_HANDSHAKE,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_AUTHMOD,
  PROP_SECURE_TOKEN,
  PROP_TLS_VALIDATION_FLAGS,
  PROP_TLS_CA_FILE,
  PROP_PROXY,
  PROP_ASYNC_CONNECT,
  PROP_ENHANCED_RTMP,
  PROP_BATCH_LATENCY,
  PROP_LOCATION_LAST,  // first id free for element-specific properties
};

// What the shared properties set: the settings, and whether to connect in start().
struct SharedProperties {
  config::Settings settings;
  bool async_connect = true;
};

void install_location_properties(GObjectClass* klass, rtmpsession::Role role);
// Property access under the object lock. Return false for ids they don't own.
bool set_location_property(GObject* obj, SharedProperties& props, guint id, const GValue* value);
bool get_location_property(GObject* obj, const SharedProperties& props, rtmpsession::Role role,
                           guint id, GValue* value);

// The URI handler's half: sets the location from a URI. On failure the element keeps the
// error (start() fails with it) and *error says why.
bool set_uri(GObject* obj, SharedProperties& props, const char* uri, GError** error);

const gchar* const* uri_protocols();

}  // namespace rtmpgst
