#include "rtmp_location.hpp"

#include "rtmp/defaults.hpp"

namespace rtmpgst {

namespace {

std::string str_or_empty(const GValue* v) {
  const char* s = g_value_get_string(v);
  return s ? s : "";
}

// The string properties that map straight to a field. `null_when_empty`: read back as NULL
// when unset (optional settings) rather than "" (parts of the address). Secrets never read back.
struct StringField {
  guint id;
  std::string config::Settings::*field;
  bool null_when_empty;
  bool secret = false;
};

constexpr StringField kStringFields[] = {
    {PROP_HOST, &config::Settings::host, false},
    {PROP_APPLICATION, &config::Settings::application, false},
    {PROP_STREAM, &config::Settings::stream, false},
    {PROP_EXTRA_CONNECT_ARGS, &config::Settings::extra_connect_args, true},
    {PROP_USERNAME, &config::Settings::username, true},
    {PROP_PASSWORD, &config::Settings::password, true, true},
    {PROP_SECURE_TOKEN, &config::Settings::secure_token, true, true},
    {PROP_TLS_CA_FILE, &config::Settings::tls_ca_file, true},
    {PROP_PROXY, &config::Settings::proxy, true},
};

const StringField* string_field(guint id) {
  for (const auto& f : kStringFields)
    if (f.id == id) return &f;
  return nullptr;
}

void set_location(GObject* obj, config::Settings& s, const GValue* value) {
  std::string error;
  if (!s.set_location(str_or_empty(value), &error))
    GST_WARNING_OBJECT(obj,
                       "invalid location %s: the element will not start until a valid one "
                       "is set",
                       error.c_str());
}

// A port that is the old scheme's default follows the new scheme.
void set_scheme(config::Settings& s, rtmp::Scheme scheme) {
  if (s.port == rtmp::default_port(s.scheme)) s.port = rtmp::default_port(scheme);
  s.scheme = scheme;
}

void set_numeric(SharedProperties& p, guint id, const GValue* value) {
  config::Settings& s = p.settings;
  switch (id) {
    case PROP_SCHEME:
      set_scheme(s, static_cast<rtmp::Scheme>(g_value_get_enum(value)));
      break;
    case PROP_PORT:
      s.port = g_value_get_int(value);
      break;
    case PROP_TIMEOUT:
      s.timeout_s = g_value_get_uint(value);
      break;
    case PROP_BATCH_LATENCY:
      s.batch_latency_ms = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      s.reconnect_attempts = g_value_get_int(value);
      break;
    case PROP_RECONNECT_DELAY:
      s.reconnect_delay_ms = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      s.reconnect_max_delay_ms = g_value_get_uint(value);
      break;
    case PROP_HANDSHAKE:
      s.handshake = g_value_get_enum(value);
      break;
    case PROP_AUTHMOD:
      s.authmod = static_cast<config::Authmod>(g_value_get_enum(value));
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      s.tls_validation_flags = g_value_get_flags(value);
      break;
    case PROP_ASYNC_CONNECT:
      p.async_connect = g_value_get_boolean(value);
      break;
    case PROP_ENHANCED_RTMP:
      s.enhanced_rtmp = g_value_get_boolean(value);
      break;
    default:
      break;
  }
}

void get_numeric(const SharedProperties& p, guint id, GValue* value) {
  const config::Settings& s = p.settings;
  switch (id) {
    case PROP_SCHEME:
      g_value_set_enum(value, static_cast<int>(s.scheme));
      break;
    case PROP_PORT:
      g_value_set_int(value, s.port);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, s.timeout_s);
      break;
    case PROP_BATCH_LATENCY:
      g_value_set_uint(value, s.batch_latency_ms);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      g_value_set_int(value, s.reconnect_attempts);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_uint(value, s.reconnect_delay_ms);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint(value, s.reconnect_max_delay_ms);
      break;
    case PROP_HANDSHAKE:
      g_value_set_enum(value, s.handshake);
      break;
    case PROP_AUTHMOD:
      g_value_set_enum(value, static_cast<int>(s.authmod));
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags(value, s.tls_validation_flags);
      break;
    case PROP_ASYNC_CONNECT:
      g_value_set_boolean(value, p.async_connect);
      break;
    case PROP_ENHANCED_RTMP:
      g_value_set_boolean(value, s.enhanced_rtmp);
      break;
    default:
      break;
  }
}

}  // namespace

bool set_location_property(GObject* obj, SharedProperties& p, guint id, const GValue* value) {
  if (id >= PROP_LOCATION_LAST) return false;
  GST_OBJECT_LOCK(obj);
  if (const StringField* f = string_field(id))
    p.settings.*(f->field) = str_or_empty(value);
  else if (id == PROP_LOCATION)
    set_location(obj, p.settings, value);
  else if (id == PROP_FLASH_VERSION)
    p.settings.flash_version = str_or_empty(value);  // "" = the role's default
  else
    set_numeric(p, id, value);
  GST_OBJECT_UNLOCK(obj);
  return true;
}

bool get_location_property(GObject* obj, const SharedProperties& p, rtmpsession::Role role,
                           guint id, GValue* value) {
  if (id >= PROP_LOCATION_LAST) return false;
  GST_OBJECT_LOCK(obj);
  const config::Settings& s = p.settings;
  if (const StringField* f = string_field(id)) {
    const std::string& v = s.*(f->field);
    bool unset = v.empty() && f->null_when_empty;
    g_value_set_string(value, unset || f->secret ? nullptr : v.c_str());
  } else if (id == PROP_LOCATION) {
    g_value_set_string(value, s.uri(false).c_str());
  } else if (id == PROP_FLASH_VERSION) {
    const char* fallback = role == rtmpsession::Role::kPublish
                               ? rtmp::defaults::kPublishFlashVersion
                               : rtmp::defaults::kPlayFlashVersion;
    g_value_set_string(value, s.flash_version.empty() ? fallback : s.flash_version.c_str());
  } else {
    get_numeric(p, id, value);
  }
  GST_OBJECT_UNLOCK(obj);
  return true;
}

bool set_uri(GObject* obj, SharedProperties& p, const char* uri, GError** error) {
  std::string why;
  GST_OBJECT_LOCK(obj);
  bool ok = p.settings.set_location(uri ? uri : "", &why);
  GST_OBJECT_UNLOCK(obj);
  if (!ok)
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "Invalid RTMP location %s",
                why.c_str());
  return ok;
}

const gchar* const* uri_protocols() {
  static const gchar* const protocols[] = {"rtmp", "rtmps", "rtmpt", "rtmpts", nullptr};
  return protocols;
}

}  // namespace rtmpgst
