// The GParamSpecs of the shared properties and their enum and flags types.
#include "rtmp_location_specs.hpp"

#include <gio/gio.h>

#include "rtmp/defaults.hpp"

namespace rtmpgst {

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

// rtmp2's GstRtmpAuthmod numbers (0 none, 1 auto, 2 adobe), plus Limelight.
GType authmod_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {0, "Send no credentials; an authentication challenge is an error", "none"},
      {1, "Answer the challenge the server sends (Adobe or Limelight)", "auto"},
      {2, "Adobe authentication (authmod=adobe)", "adobe"},
      {3, "Limelight authentication (authmod=llnw)", "llnw"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRtmpNativeAuthmod", values));
  return type;
}

// rtmp2's GstRtmpScheme numbers (0 rtmp, 1 rtmps), plus the tunnelled schemes.
GType scheme_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {{0, "RTMP over TCP", "rtmp"},
                                      {1, "RTMP over TLS", "rtmps"},
                                      {2, "RTMP tunnelled in HTTP (RTMPT)", "rtmpt"},
                                      {3, "RTMP tunnelled in HTTPS (RTMPTS)", "rtmpts"},
                                      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRtmpNativeScheme", values));
  return type;
}

namespace {

constexpr auto kFlags =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

void install(GObjectClass* klass, guint id, GParamSpec* spec) {
  g_object_class_install_property(klass, id, spec);
}

void install_address(GObjectClass* k) {
  install(k, PROP_LOCATION,
          g_param_spec_string(
              "location", "Location",
              "RTMP URL: rtmp[s|t|ts]://[user:password@]host[:port]/application/stream[?query]. "
              "The application is the path up to the last '/', the stream the rest. Setting it "
              "sets scheme, host, port, application and stream. librtmp-style options may follow, "
              "separated by spaces: app=, playpath=, tcUrl=, pageUrl=, swfUrl=, flashVer=, "
              "conn=TYPE:VALUE (repeatable), live=, subscribe=, buffer=, start=, token=, "
              "timeout=, swfVfy= (\\20 for a space in a value; docs/connecting.md). A location "
              "that does not parse makes the element fail to start (RESOURCE/SETTINGS error) "
              "until a valid one is set. Read back as the plain URL, without options or password",
              "rtmp://localhost/live/myStream", kFlags));
  install(k, PROP_SCHEME,
          g_param_spec_enum("scheme", "Scheme",
                            "RTMP connection scheme; a port that is the old scheme's default "
                            "follows the new scheme's (1935, 443, 80, 443)",
                            scheme_get_type(), 0, kFlags));
  install(k, PROP_HOST,
          g_param_spec_string("host", "Host", "RTMP server host name or IP address",
                              rtmp::defaults::kHost, kFlags));
  install(k, PROP_PORT,
          g_param_spec_int("port", "Port", "RTMP server TCP port", 1, 65535, 1935, kFlags));
  install(
      k, PROP_APPLICATION,
      g_param_spec_string("application", "Application", "RTMP application path (may contain '/')",
                          rtmp::defaults::kApplication, kFlags));
  install(k, PROP_STREAM,
          g_param_spec_string("stream", "Stream", "RTMP stream name, with any ?query",
                              rtmp::defaults::kStream, kFlags));
}

void install_connection(GObjectClass* k, rtmpsession::Role role) {
  install(k, PROP_TIMEOUT,
          g_param_spec_uint("timeout", "Timeout",
                            "Seconds each connection phase may take (resolving, connecting, "
                            "handshake, each server reply) and a send may stall; 0 = no limit",
                            0, G_MAXUINT, rtmp::defaults::kTimeoutSeconds, kFlags));
  install(
      k, PROP_FLASH_VERSION,
      g_param_spec_string("flash-version", "Flash version",
                          "flashVer sent in connect (setting NULL restores the default)",
                          role == rtmpsession::Role::kPublish ? rtmp::defaults::kPublishFlashVersion
                                                              : rtmp::defaults::kPlayFlashVersion,
                          kFlags));
  install(k, PROP_EXTRA_CONNECT_ARGS,
          g_param_spec_string("extra-connect-args", "Extra connect arguments",
                              "Further AMF arguments for connect in librtmp conn= syntax, "
                              "separated by spaces, sent after the location's conn= options: "
                              "conn=B:1 conn=S:text conn=N:1.5 conn=Z: conn=O:1 conn=NS:name:value "
                              "conn=O:0. Text that does not parse makes start() fail",
                              nullptr, kFlags));
  install(k, PROP_HANDSHAKE,
          g_param_spec_enum("handshake", "Handshake",
                            "RTMP handshake: auto (digest, plain fallback), plain or digest",
                            handshake_mode_get_type(), 0, kFlags));
  install(k, PROP_BATCH_LATENCY,
          g_param_spec_uint(
              "batch-latency", "Batch latency",
              role == rtmpsession::Role::kPublish
                  ? "Milliseconds media may wait to be sent so that the session's event loop "
                    "sends several frames, of this and other streams, per wake-up (a burst is not "
                    "delayed). More saves CPU on real-time streams and adds up to that much "
                    "latency; 0 = no batching (every buffer wakes the loop)"
                  : "Milliseconds received data may wait in the socket so that the session's "
                    "event loop reads several frames, of this and other streams, per wake-up (a "
                    "burst is not delayed). More saves CPU on real-time streams and adds up to "
                    "that much latency; 0 = no batching (every arrival is read at once)",
              0, rtmp::defaults::kMaxBatchLatencyMs, rtmp::defaults::kBatchLatencyMs, kFlags));
  install(k, PROP_ENHANCED_RTMP,
          g_param_spec_boolean("enhanced-rtmp", "Enhanced RTMP",
                               "Announce Enhanced RTMP v2 in connect (fourCcList, "
                               "videoFourCcInfoMap, audioFourCcInfoMap, capsEx); turn off for a "
                               "legacy server that refuses unknown connect fields. What the "
                               "server answers is in stats (server-enhanced-rtmp)",
                               TRUE, kFlags));
  install(k, PROP_ASYNC_CONNECT,
          g_param_spec_boolean("async-connect", "Async connect",
                               role == rtmpsession::Role::kPublish
                                   ? "Connect when starting (READY to PAUSED); otherwise on the "
                                     "first buffer"
                                   : "Connect when starting (READY to PAUSED); otherwise when "
                                     "the first buffer is wanted",
                               TRUE, kFlags));
}

void install_reconnection(GObjectClass* k) {
  install(k, PROP_RECONNECT_ATTEMPTS,
          g_param_spec_int("reconnect-attempts", "Reconnect attempts",
                           "After a connection that was streaming breaks (or the server sends "
                           "NetConnection.Connect.ReconnectRequest): how many times to try again "
                           "per outage before failing; 0 = never reconnect, -1 = no limit",
                           -1, G_MAXINT, rtmp::defaults::kReconnectAttempts, kFlags));
  install(k, PROP_RECONNECT_DELAY,
          g_param_spec_uint("reconnect-delay", "Reconnect delay",
                            "Milliseconds before the first reconnection attempt; each further "
                            "attempt of the same outage waits twice as long",
                            0, G_MAXUINT, rtmp::defaults::kReconnectDelayMs, kFlags));
  install(k, PROP_RECONNECT_MAX_DELAY,
          g_param_spec_uint("reconnect-max-delay", "Reconnect max delay",
                            "Upper bound in milliseconds of the delay between reconnection "
                            "attempts",
                            0, G_MAXUINT, rtmp::defaults::kReconnectMaxDelayMs, kFlags));
}

void install_security(GObjectClass* k) {
  // Secrets are write-only, so that nothing (gst-launch -v, pipeline dot dumps) can show them.
  auto secret = static_cast<GParamFlags>(kFlags & ~G_PARAM_READABLE);
  install(k, PROP_USERNAME,
          g_param_spec_string("username", "Username",
                              "User name for Adobe or Limelight authentication (also set by "
                              "user:password@ in the location)",
                              nullptr, kFlags));
  install(k, PROP_PASSWORD,
          g_param_spec_string("password", "Password",
                              "Password for Adobe or Limelight authentication (write-only; never "
                              "logged or shown in messages)",
                              nullptr, secret));
  install(k, PROP_AUTHMOD,
          g_param_spec_enum("authmod", "Authentication method",
                            "Which authentication challenge to answer when the server asks for "
                            "credentials (numbers as rtmp2's: 0 none, 1 auto, 2 adobe; 3 llnw)",
                            authmod_get_type(), 1, kFlags));
  install(k, PROP_SECURE_TOKEN,
          g_param_spec_string("secure-token", "Secure token",
                              "Shared secret answering a SecureToken challenge (write-only; "
                              "librtmp's token= option is used when this is unset)",
                              nullptr, secret));
  install(k, PROP_TLS_VALIDATION_FLAGS,
          g_param_spec_flags("tls-validation-flags", "TLS validation flags",
                             "For rtmps:// and rtmpts://: the certificate problems that make the "
                             "connection fail (0 accepts any certificate)",
                             G_TYPE_TLS_CERTIFICATE_FLAGS, G_TLS_CERTIFICATE_VALIDATE_ALL, kFlags));
  install(k, PROP_TLS_CA_FILE,
          g_param_spec_string("tls-ca-file", "TLS CA file",
                              "PEM file with the certificate authorities to trust instead of the "
                              "system store",
                              nullptr, kFlags));
  install(k, PROP_PROXY,
          g_param_spec_string("proxy", "Proxy",
                              "SOCKS proxy to connect through: socks5://[user:password@]host"
                              "[:port], socks4a://host[:port] or socks4://host[:port] (port 1080 "
                              "by default); unset = connect directly",
                              nullptr, kFlags));
}

}  // namespace

void install_location_properties(GObjectClass* klass, rtmpsession::Role role) {
  install_address(klass);
  install_connection(klass, role);
  install_reconnection(klass);
  install_security(klass);
}

}  // namespace rtmpgst
