#include "rtmp_errors.hpp"

namespace rtmpgst {

using rtmpsession::ErrorKind;
using rtmpsession::Role;
using rtmpsession::State;

namespace {

bool streaming(State s) {
  return s == State::kPublishing || s == State::kPlaying || s == State::kClosing;
}

}  // namespace

GstResourceError resource_error_code(const rtmpsession::SessionError& e, Role role) {
  bool pub = role == Role::kPublish;
  GstResourceError open = pub ? GST_RESOURCE_ERROR_OPEN_WRITE : GST_RESOURCE_ERROR_OPEN_READ;
  GstResourceError io = pub ? GST_RESOURCE_ERROR_WRITE : GST_RESOURCE_ERROR_READ;
  switch (e.kind) {
    case ErrorKind::kBadLocation:
      return GST_RESOURCE_ERROR_SETTINGS;
    case ErrorKind::kHostNotFound:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case ErrorKind::kConnectionRefused:
    case ErrorKind::kConnectFailed:
      return open;
    case ErrorKind::kTimeout:
      return streaming(e.state) ? io : open;
    case ErrorKind::kHandshake:
      return GST_RESOURCE_ERROR_OPEN_READ_WRITE;
    case ErrorKind::kConnectRejected:
      return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case ErrorKind::kInvalidApp:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case ErrorKind::kCreateStreamFailed:
      return GST_RESOURCE_ERROR_FAILED;
    case ErrorKind::kPublishBadName:
      return GST_RESOURCE_ERROR_BUSY;
    case ErrorKind::kPublishDenied:
      return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case ErrorKind::kPublishFailed:
      return GST_RESOURCE_ERROR_OPEN_WRITE;
    case ErrorKind::kStreamNotFound:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case ErrorKind::kPlayFailed:
      return GST_RESOURCE_ERROR_OPEN_READ;
    case ErrorKind::kDisconnected:
      return streaming(e.state) ? io : open;
    case ErrorKind::kProtocol:
      return GST_RESOURCE_ERROR_FAILED;
    case ErrorKind::kAuthRequired:
    case ErrorKind::kAuthFailed:
      return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case ErrorKind::kTls:
      return GST_RESOURCE_ERROR_OPEN_READ_WRITE;  // like a failed RTMP handshake
    case ErrorKind::kProxy:
      return open;
    case ErrorKind::kUndelivered:
      return GST_RESOURCE_ERROR_WRITE;
    case ErrorKind::kNone:
      break;
  }
  return GST_RESOURCE_ERROR_FAILED;
}

void post_session_error(GstElement* element, const rtmpsession::SessionError& e, Role role,
                        const std::string& safe_url) {
  const char* verb = role == Role::kPublish ? "publish to" : "play";
  gchar* text = g_strdup_printf("Could not %s %s: %s", verb, safe_url.c_str(), e.message.c_str());
  gchar* debug = g_strdup_printf("state: %s; server code: %s", rtmpsession::state_name(e.state),
                                 e.server_code.empty() ? "none" : e.server_code.c_str());
  gst_element_message_full(element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
                           resource_error_code(e, role), text, debug, __FILE__, GST_FUNCTION,
                           __LINE__);
}

}  // namespace rtmpgst
