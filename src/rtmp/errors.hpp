// The one error model of a connection, from the protocol core to the bus: the core, the
// transports and the session report these kinds; gst/rtmp_errors.cpp maps each to one
// GST_RESOURCE_ERROR code. No code in src/ throws.
#pragma once

namespace rtmp {

enum class ErrorKind {
  kNone,
  kBadLocation,        // URL or configuration unusable
  kHostNotFound,       // the name does not resolve
  kConnectionRefused,  // every address refused the TCP connection
  kConnectFailed,      // other socket errors while connecting (unreachable network, ...)
  kTimeout,            // a phase took longer than the `timeout` property allows
  kHandshake,          // bad RTMP version byte, or no valid digest when one was required
  kProtocol,           // malformed chunks, AMF or commands from the server
  kConnectRejected,    // _error to connect (NetConnection.Connect.Rejected and others)
  kInvalidApp,         // NetConnection.Connect.InvalidApp
  kCreateStreamFailed,
  kPublishBadName,  // NetStream.Publish.BadName (name in use or invalid)
  kPublishDenied,   // NetStream.Publish.Denied / Rejected / Unauthorized
  kPublishFailed,   // any other error status for the publish
  kStreamNotFound,  // NetStream.Play.StreamNotFound
  kPlayFailed,      // any other error status for the play
  kDisconnected,    // the connection ended while streaming (server closed, reset)
  kAuthRequired,    // connect rejected with an authentication challenge (the session answers it)
  kAuthFailed,      // the server refused the credentials, or asked for ones we do not have
  kTls,             // TLS handshake failed or the server's certificate was not accepted
  kProxy,           // the proxy could not be reached or refused to connect us
  kUndelivered,     // at the end of a publication, data did not reach the server in time
};

// "timeout", "publish-denied", ...: for debug lines.
const char* error_kind_name(ErrorKind kind);

}  // namespace rtmp
