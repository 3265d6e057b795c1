// The byte stream under the RTMP client. TcpTransport is plain TCP; further transports are layers
// on another transport (SOCKS negotiation, TLS, the RTMPT HTTP tunnel), built in order by
// make_transport(). All calls are non-blocking and happen on the session's loop thread.
#pragma once

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "rtmp/errors.hpp"

namespace rtmpsession {

using rtmp::ErrorKind;

enum class IoStatus {
  kOk,          // `bytes` were read or accepted (reading: 0 is not end of stream)
  kWouldBlock,  // retry when wait_condition() holds on socket()
  kClosed,      // the peer closed the stream (reading) or the transport is closed
  kError,       // `kind` and `message` say what went wrong
};

struct IoResult {
  IoStatus status = IoStatus::kOk;
  size_t bytes = 0;
  ErrorKind kind = ErrorKind::kNone;
  std::string message;

  static IoResult ok(size_t n) { return {IoStatus::kOk, n, ErrorKind::kNone, {}}; }
  static IoResult would_block() { return {IoStatus::kWouldBlock, 0, ErrorKind::kNone, {}}; }
  static IoResult closed() { return {IoStatus::kClosed, 0, ErrorKind::kNone, {}}; }
  static IoResult error(ErrorKind k, std::string m) {
    return {IoStatus::kError, 0, k, std::move(m)};
  }
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Set-up before RTMP bytes can flow: proxy negotiation, TLS handshake, opening a tunnel.
  // kOk once done (and at once on later calls); kWouldBlock: call again when wait_condition()
  // holds (the session also calls it on every tick); kClosed or kError: the connection failed.
  // A layer finishes its inner transport's establish() before starting its own set-up.
  virtual IoResult establish() = 0;
  // What establish() is waiting for, for timeout messages ("the TLS handshake").
  virtual std::string establishing_what() const = 0;

  // Reads up to `size` bytes. kOk with bytes > 0, kWouldBlock, kClosed at end of stream, or kError.
  virtual IoResult read(uint8_t* data, size_t size) = 0;
  // Writes from the vectors in order (like writev). kOk with the number of bytes taken (at least
  // one when anything was offered: a layer that can take nothing returns kWouldBlock), which may
  // be fewer than offered; a layer may take bytes and keep its own encoded output, which flush()
  // sends on.
  virtual IoResult write(const GOutputVector* vectors, size_t count) = 0;
  // Sends output the transport still holds. kOk when none is left, else kWouldBlock or kError.
  virtual IoResult flush() { return IoResult::ok(0); }
  // Ends the sending direction after everything taken so far (TCP half-close, TLS close_notify).
  // Does not block: what cannot go out at once is sent by later flush() calls.
  virtual void shutdown_write() = 0;
  // Bytes write() took that this layer and the layers below still hold, not yet given to the
  // socket (TLS records not yet written, RTMPT bytes waiting for their request). The end of a
  // publication waits for these and for the kernel's send queue.
  virtual uint64_t buffered_output() const = 0;

  // After kWouldBlock: the condition of socket() to wait for before calling again. A TLS layer
  // may need the socket readable to go on writing, and the other way round.
  virtual GIOCondition wait_condition() const { return G_IO_OUT; }
  // True when read() can give bytes without the socket becoming readable (decoded TLS records).
  virtual bool has_buffered_input() const { return false; }
  // The connected socket at the bottom of the stack, for the session's watches.
  virtual GSocket* socket() const = 0;
  // Called at next_wakeup_us(); may do I/O. A layer passes it on to the layer below.
  virtual void on_wakeup(int64_t now_us) { (void)now_us; }
  // When on_wakeup() must run (the session's clock), e.g. an RTMPT poll or a request's deadline;
  // 0 = never. Asked after every I/O event. Only the outermost layer is asked.
  virtual int64_t next_wakeup_us() const { return 0; }
  // Short description for logs and stats, layers above TCP bottom first ("tcp" alone):
  // "tcp", "socks5", "tls (TLSv1.3)", "socks5 + tls (TLSv1.3)", "tls (TLSv1.2) + rtmpt".
  virtual std::string describe() const = 0;
};

}  // namespace rtmpsession
