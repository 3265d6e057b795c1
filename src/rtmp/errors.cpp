#include "rtmp/errors.hpp"

namespace rtmp {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kBadLocation:
      return "bad-location";
    case ErrorKind::kHostNotFound:
      return "host-not-found";
    case ErrorKind::kConnectionRefused:
      return "connection-refused";
    case ErrorKind::kConnectFailed:
      return "connect-failed";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kHandshake:
      return "handshake";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kConnectRejected:
      return "connect-rejected";
    case ErrorKind::kInvalidApp:
      return "invalid-app";
    case ErrorKind::kCreateStreamFailed:
      return "create-stream-failed";
    case ErrorKind::kPublishBadName:
      return "publish-bad-name";
    case ErrorKind::kPublishDenied:
      return "publish-denied";
    case ErrorKind::kPublishFailed:
      return "publish-failed";
    case ErrorKind::kStreamNotFound:
      return "stream-not-found";
    case ErrorKind::kPlayFailed:
      return "play-failed";
    case ErrorKind::kDisconnected:
      return "disconnected";
    case ErrorKind::kAuthRequired:
      return "auth-required";
    case ErrorKind::kAuthFailed:
      return "auth-failed";
    case ErrorKind::kTls:
      return "tls";
    case ErrorKind::kProxy:
      return "proxy";
    case ErrorKind::kUndelivered:
      return "undelivered";
  }
  return "unknown";
}

}  // namespace rtmp
