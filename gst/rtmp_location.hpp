// Location and connection properties shared by rtmpsink and rtmpsrc: one implementation of
// `location`, `host`, `port`, `application`, `stream`, `timeout`, `flash-version`,
// `extra-connect-args`, reconnection, handshake, credentials, TLS, proxy and the URI handler.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>
#include <vector>

#include "rtmp/amf0.hpp"

#include "session/session_types.hpp"

namespace rtmpgst {

enum LocationProp : guint {
  PROP_LOCATION = 1,
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
  PROP_LOCATION_LAST,  // first id free for element-specific properties
};

struct Location {
  std::string scheme = "rtmp";
  std::string host = "localhost";
  int port = 1935;
  std::string application = "live";
  std::string stream = "myStream";
  std::string username;
  std::string password;
  guint timeout = 10;
  std::string flash_version;
  gint reconnect_attempts = 0;
  gint handshake = 0;  // rtmp::HandshakeMode: 0 auto, 1 plain, 2 digest
  guint reconnect_delay_ms = 1000;
  guint reconnect_max_delay_ms = 30000;
  gint authmod = 0;  // GstRtmpNativeAuthmod: 0 auto, 1 none, 2 adobe, 3 llnw
  std::string secure_token;
  guint tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  std::string tls_ca_file;
  std::string proxy;

  // From librtmp-style options after the URL (see rtmp/url_options.hpp); reset by every set_uri.
  std::string tc_url;    // empty = derived from scheme, host, port and application
  std::string page_url;  // sent in connect when not empty
  std::string swf_url;   // sent in connect when not empty
  std::vector<rtmp::amf0::Value> conn_args;  // conn=...: extra connect arguments
  // live= is accepted for compatibility (live streams need no special request); token= answers
  // a SecureToken challenge unless the secure-token property is set.
  std::optional<bool> live;
  std::string token;

  // The `extra-connect-args` property: its text and the values it parsed to (sent after
  // conn_args).
  std::string extra_connect_args;
  std::vector<rtmp::amf0::Value> extra_conn_values;

  // rtmp://[user@]host[:port]/application/stream; the password only when asked for. Never
  // includes the librtmp-style options.
  std::string to_uri(bool with_password) const;
  // Replaces every location field from a URI, which may be followed by librtmp-style options
  // ("rtmp://h/app/stream app=a playpath=p conn=S:x"): app and playpath override the URL's
  // application and stream, flashVer and timeout set flash_version and timeout, and tcUrl,
  // pageUrl, swfUrl, conn, live and token set the fields above. On failure nothing changes.
  bool set_uri(const char* uri, GError** error);
};

void install_location_properties(GObjectClass* klass);
// Property access under the object lock. Return false for ids they don't own.
bool set_location_property(GObject* obj, Location& loc, guint id, const GValue* value);
bool get_location_property(GObject* obj, const Location& loc, guint id, GValue* value);

// Builds the session configuration; false (with a message) when the location cannot work.
bool make_session_config(const Location& loc, rtmpsession::Role role,
                         rtmpsession::SessionConfig* out, std::string* error);

// GstURIHandler support for both elements.
const gchar* const* uri_protocols();

}  // namespace rtmpgst
