#include "rtmp_location.hpp"

#include <algorithm>

#include "rtmp/url.hpp"
#include "rtmp/url_options.hpp"
#include "transport/transport_factory.hpp"

namespace rtmpgst {

std::string Location::to_uri(bool with_password) const {
  rtmp::Url u;
  u.scheme = scheme;
  u.host = host;
  u.port = static_cast<uint16_t>(port);
  u.port_explicit = port != rtmp::default_port(scheme);
  u.user = username;
  u.password = password;
  u.application = application;
  u.stream = stream;
  return u.to_string(with_password);
}

bool Location::set_uri(const char* uri, GError** error) {
  std::string err;
  const rtmp::SplitLocation split = rtmp::split_location(uri ? uri : "");
  std::optional<rtmp::Url> u = rtmp::parse_url(split.url, &err);
  std::optional<rtmp::UrlOptions> opts;
  if (u && err.empty()) {
    opts = rtmp::parse_url_options(split.options, &err);
    if (opts && opts->timeout_s && *opts->timeout_s > G_MAXUINT / 1000)
      err = "option 'timeout=" + std::to_string(*opts->timeout_s) + "' is too large";
  }
  if (!u || !opts || !err.empty()) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "Invalid RTMP location: %s",
                err.c_str());
    return false;
  }
  scheme = u->scheme;
  host = u->host;
  port = u->port;
  application = opts->app ? *opts->app : u->application;
  stream = opts->playpath ? *opts->playpath : u->stream;
  username = u->user;
  password = u->password;
  tc_url = opts->tc_url.value_or("");
  page_url = opts->page_url.value_or("");
  swf_url = opts->swf_url.value_or("");
  conn_args = std::move(opts->conn_args);
  live = opts->live;
  token = opts->token.value_or("");
  if (opts->flash_ver) flash_version = *opts->flash_ver;
  if (opts->timeout_s) timeout = *opts->timeout_s;
  return true;
}

GType handshake_mode_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {0, "Digest handshake (Flash Player 9), plain when the server answers without digest",
       "auto"},
      {1, "Plain handshake (version 3, no digest)", "plain"},
      {2, "Digest handshake; a server answer without a valid digest is an error", "digest"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRtmpNativeHandshake", values));
  return type;
}

GType authmod_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {0, "Answer the challenge the server sends (Adobe or Limelight)", "auto"},
      {1, "Send no credentials; an authentication challenge is an error", "none"},
      {2, "Adobe authentication (authmod=adobe)", "adobe"},
      {3, "Limelight authentication (authmod=llnw)", "llnw"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRtmpNativeAuthmod", values));
  return type;
}

namespace {

void install_security_properties(GObjectClass* klass, GParamFlags flags) {
  // Secrets are write-only, so that nothing (gst-launch -v, pipeline dot dumps) can show them.
  auto secret = static_cast<GParamFlags>((flags & ~G_PARAM_READABLE));
  g_object_class_install_property(
      klass, PROP_USERNAME,
      g_param_spec_string("username", "Username",
                          "User name for Adobe or Limelight authentication (also set by "
                          "user:password@ in the location)",
                          nullptr, flags));
  g_object_class_install_property(
      klass, PROP_PASSWORD,
      g_param_spec_string("password", "Password",
                          "Password for Adobe or Limelight authentication (write-only; never "
                          "logged or shown in messages)",
                          nullptr, secret));
  g_object_class_install_property(
      klass, PROP_AUTHMOD,
      g_param_spec_enum("authmod", "Authentication method",
                        "Which authentication challenge to answer when the server asks for "
                        "credentials",
                        authmod_get_type(), 0, flags));
  g_object_class_install_property(
      klass, PROP_SECURE_TOKEN,
      g_param_spec_string("secure-token", "Secure token",
                          "Shared secret answering a SecureToken challenge (write-only; librtmp's "
                          "token= option is used when this is unset)",
                          nullptr, secret));
  g_object_class_install_property(
      klass, PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags("tls-validation-flags", "TLS validation flags",
                         "For rtmps:// and rtmpts://: the certificate problems that make the "
                         "connection fail (0 accepts any certificate)",
                         G_TYPE_TLS_CERTIFICATE_FLAGS, G_TLS_CERTIFICATE_VALIDATE_ALL, flags));
  g_object_class_install_property(
      klass, PROP_TLS_CA_FILE,
      g_param_spec_string("tls-ca-file", "TLS CA file",
                          "PEM file with the certificate authorities to trust instead of the "
                          "system store",
                          nullptr, flags));
  g_object_class_install_property(
      klass, PROP_PROXY,
      g_param_spec_string("proxy", "Proxy",
                          "SOCKS proxy to connect through: socks5://[user:password@]host[:port], "
                          "socks4a://host[:port] or socks4://host[:port] (port 1080 by default); "
                          "unset = connect directly",
                          nullptr, flags));
}

}  // namespace

namespace {

void install_address_properties(GObjectClass* klass, GParamFlags flags) {
  g_object_class_install_property(
      klass, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "RTMP URL: rtmp[s|t|ts]://[user:password@]host[:port]/application/stream"
                          "[?query]. The application is the path up to the last '/', the "
                          "stream the rest. Setting it sets host, port, application and stream. "
                          "librtmp-style options may follow, separated by spaces: app=, "
                          "playpath=, tcUrl=, pageUrl=, swfUrl=, flashVer=, conn=TYPE:VALUE "
                          "(repeatable), live=, token=, timeout= (\\20 for a space in a value). "
                          "Read back as the plain URL, without options or password",
                          "rtmp://localhost/live/myStream", flags));
  g_object_class_install_property(
      klass, PROP_HOST,
      g_param_spec_string("host", "Host", "RTMP server host name or IP address", "localhost",
                          flags));
  g_object_class_install_property(
      klass, PROP_PORT,
      g_param_spec_int("port", "Port", "RTMP server TCP port", 1, 65535, 1935, flags));
  g_object_class_install_property(
      klass, PROP_APPLICATION,
      g_param_spec_string("application", "Application", "RTMP application path (may contain '/')",
                          "live", flags));
  g_object_class_install_property(
      klass, PROP_STREAM,
      g_param_spec_string("stream", "Stream", "RTMP stream name, with any ?query", "myStream",
                          flags));
}

void install_connection_properties(GObjectClass* klass, GParamFlags flags) {
  g_object_class_install_property(
      klass, PROP_TIMEOUT,
      g_param_spec_uint("timeout", "Timeout",
                        "Seconds each connection phase may take (resolving, connecting, "
                        "handshake, each server reply) and a send may stall; 0 = no limit",
                        0, G_MAXUINT / 1000, 10, flags));
  g_object_class_install_property(
      klass, PROP_FLASH_VERSION,
      g_param_spec_string("flash-version", "Flash version",
                          "flashVer sent in connect (empty = \"FMLE/3.0 (compatible; "
                          "GstRtmpNative)\")",
                          nullptr, flags));
  g_object_class_install_property(
      klass, PROP_RECONNECT_ATTEMPTS,
      g_param_spec_int("reconnect-attempts", "Reconnect attempts",
                       "After a connection that was streaming breaks (or the server sends "
                       "NetConnection.Connect.ReconnectRequest): how many times to try again "
                       "per outage before failing; 0 = never reconnect, -1 = no limit",
                       -1, G_MAXINT, 0, flags));
  g_object_class_install_property(
      klass, PROP_RECONNECT_DELAY,
      g_param_spec_uint("reconnect-delay", "Reconnect delay",
                        "Milliseconds before the first reconnection attempt; each further "
                        "attempt of the same outage waits twice as long",
                        0, G_MAXUINT, 1000, flags));
  g_object_class_install_property(
      klass, PROP_RECONNECT_MAX_DELAY,
      g_param_spec_uint("reconnect-max-delay", "Reconnect max delay",
                        "Upper bound in milliseconds of the delay between reconnection attempts", 0,
                        G_MAXUINT, 30000, flags));
  g_object_class_install_property(
      klass, PROP_EXTRA_CONNECT_ARGS,
      g_param_spec_string("extra-connect-args", "Extra connect arguments",
                          "Further AMF arguments for connect in librtmp conn= syntax, separated "
                          "by spaces, sent after the location's conn= options: conn=B:1 "
                          "conn=S:text conn=N:1.5 conn=Z: conn=O:1 conn=NS:name:value conn=O:0",
                          nullptr, flags));
  g_object_class_install_property(
      klass, PROP_HANDSHAKE,
      g_param_spec_enum("handshake", "Handshake",
                        "RTMP handshake: auto (digest, plain fallback), plain or digest",
                        handshake_mode_get_type(), 0, flags));
}

std::string str_or_empty(const GValue* v) {
  const char* s = g_value_get_string(v);
  return s ? s : "";
}

// The string properties that map straight to a field. `null_when_empty`: read back as NULL
// when unset (optional settings) rather than "" (parts of the address). Secrets never read back.
struct StringField {
  guint id;
  std::string Location::*field;
  bool null_when_empty;
  bool secret = false;
};

constexpr StringField kStringFields[] = {
    {PROP_HOST, &Location::host, false},
    {PROP_APPLICATION, &Location::application, false},
    {PROP_STREAM, &Location::stream, false},
    {PROP_FLASH_VERSION, &Location::flash_version, true},
    {PROP_USERNAME, &Location::username, true},
    {PROP_PASSWORD, &Location::password, true, true},
    {PROP_SECURE_TOKEN, &Location::secure_token, true, true},
    {PROP_TLS_CA_FILE, &Location::tls_ca_file, true},
    {PROP_PROXY, &Location::proxy, true},
};

const StringField* string_field(guint id) {
  for (const auto& f : kStringFields)
    if (f.id == id) return &f;
  return nullptr;
}

void set_extra_connect_args(GObject* obj, Location& loc, const GValue* value) {
  const std::string text = str_or_empty(value);
  std::string err;
  if (auto args = rtmp::parse_conn_options(text, &err)) {
    loc.extra_connect_args = text;
    loc.extra_conn_values = std::move(*args);
  } else {
    GST_WARNING_OBJECT(obj, "Invalid extra-connect-args (kept the previous value): %s",
                       err.c_str());
  }
}

}  // namespace

void install_location_properties(GObjectClass* klass) {
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                        GST_PARAM_MUTABLE_READY);
  install_address_properties(klass, flags);
  install_connection_properties(klass, flags);
  install_security_properties(klass, flags);
}

bool set_location_property(GObject* obj, Location& loc, guint id, const GValue* value) {
  if (id >= PROP_LOCATION_LAST) return false;
  GST_OBJECT_LOCK(obj);
  if (const StringField* f = string_field(id)) {
    loc.*(f->field) = str_or_empty(value);
    GST_OBJECT_UNLOCK(obj);
    return true;
  }
  switch (id) {
    case PROP_LOCATION: {
      GError* error = nullptr;
      if (!loc.set_uri(g_value_get_string(value), &error)) {
        GST_WARNING_OBJECT(obj, "%s", error->message);
        g_error_free(error);
      }
      break;
    }
    case PROP_PORT:
      loc.port = g_value_get_int(value);
      break;
    case PROP_TIMEOUT:
      loc.timeout = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      loc.reconnect_attempts = g_value_get_int(value);
      break;
    case PROP_RECONNECT_DELAY:
      loc.reconnect_delay_ms = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      loc.reconnect_max_delay_ms = g_value_get_uint(value);
      break;
    case PROP_HANDSHAKE:
      loc.handshake = g_value_get_enum(value);
      break;
    case PROP_AUTHMOD:
      loc.authmod = g_value_get_enum(value);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      loc.tls_validation_flags = g_value_get_flags(value);
      break;
    case PROP_EXTRA_CONNECT_ARGS:
      set_extra_connect_args(obj, loc, value);
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK(obj);
  return true;
}

bool get_location_property(GObject* obj, const Location& loc, guint id, GValue* value) {
  if (id >= PROP_LOCATION_LAST) return false;
  GST_OBJECT_LOCK(obj);
  if (const StringField* f = string_field(id)) {
    const std::string& v = loc.*(f->field);
    bool unset = v.empty() && f->null_when_empty;
    g_value_set_string(value, unset || f->secret ? nullptr : v.c_str());
    GST_OBJECT_UNLOCK(obj);
    return true;
  }
  switch (id) {
    case PROP_LOCATION:
      g_value_set_string(value, loc.to_uri(false).c_str());
      break;
    case PROP_PORT:
      g_value_set_int(value, loc.port);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, loc.timeout);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      g_value_set_int(value, loc.reconnect_attempts);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_uint(value, loc.reconnect_delay_ms);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint(value, loc.reconnect_max_delay_ms);
      break;
    case PROP_HANDSHAKE:
      g_value_set_enum(value, loc.handshake);
      break;
    case PROP_AUTHMOD:
      g_value_set_enum(value, loc.authmod);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags(value, loc.tls_validation_flags);
      break;
    case PROP_EXTRA_CONNECT_ARGS:
      g_value_set_string(value,
                         loc.extra_connect_args.empty() ? nullptr : loc.extra_connect_args.c_str());
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK(obj);
  return true;
}

bool make_session_config(const Location& loc, rtmpsession::Role role,
                         rtmpsession::SessionConfig* out, std::string* error) {
  if (loc.host.empty()) {
    *error = "no host set";
    return false;
  }
  if (loc.application.empty()) {
    *error = "no application set";
    return false;
  }
  if (loc.stream.empty()) {
    *error = "no stream name set";
    return false;
  }
  out->role = role;
  out->scheme = loc.scheme;
  out->host = loc.host;
  out->port = static_cast<uint16_t>(loc.port);
  out->application = loc.application;
  out->stream = loc.stream;
  out->safe_url = loc.to_uri(false);
  rtmp::Url u;
  u.scheme = loc.scheme;
  u.host = loc.host;
  u.port = static_cast<uint16_t>(loc.port);
  u.port_explicit = loc.port != rtmp::default_port(loc.scheme);
  u.application = loc.application;
  out->tc_url = loc.tc_url.empty() ? u.tc_url() : loc.tc_url;
  out->page_url = loc.page_url;
  out->swf_url = loc.swf_url;
  out->handshake = static_cast<rtmp::HandshakeMode>(loc.handshake);
  out->connect_args = loc.conn_args;
  out->connect_args.insert(out->connect_args.end(), loc.extra_conn_values.begin(),
                           loc.extra_conn_values.end());
  out->flash_version = loc.flash_version;
  out->timeout_ms = loc.timeout * 1000;
  out->reconnect_attempts = loc.reconnect_attempts;
  out->reconnect_delay_ms = loc.reconnect_delay_ms;
  out->reconnect_max_delay_ms = std::max(loc.reconnect_max_delay_ms, loc.reconnect_delay_ms);
  out->username = loc.username;
  out->password = loc.password;
  static const char* const authmods[] = {"", "none", "adobe", "llnw"};
  out->authmod = authmods[std::clamp(loc.authmod, 0, 3)];
  out->secure_token = loc.secure_token.empty() ? loc.token : loc.secure_token;
  out->tls_validation_flags = loc.tls_validation_flags;
  out->tls_ca_file = loc.tls_ca_file;
  out->proxy = loc.proxy;
  if (loc.live) out->play_start = *loc.live ? -1000 : 0;  // librtmp: live only / recorded only
  // A scheme or proxy setting that cannot work fails here, in start(), like the rest of the
  // location, not later on the session thread.
  rtmpsession::ConnectTarget target;
  return rtmpsession::connect_target(*out, &target, error);
}

const gchar* const* uri_protocols() {
  static const gchar* const protocols[] = {"rtmp", "rtmps", "rtmpt", "rtmpts", nullptr};
  return protocols;
}

}  // namespace rtmpgst
