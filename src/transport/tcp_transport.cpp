#include "transport/tcp_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>

namespace rtmpsession {

namespace {

IoResult from_error(GError* error, const char* doing) {
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    g_error_free(error);
    return IoResult::would_block();
  }
  std::string message = std::string("connection lost while ") + doing + ": " + error->message;
  g_error_free(error);
  return IoResult::error(ErrorKind::kDisconnected, std::move(message));
}

}  // namespace

TcpTransport::TcpTransport(GSocket* socket) : socket_(G_SOCKET(g_object_ref(socket))) {}

TcpTransport::~TcpTransport() {
  g_socket_close(socket_, nullptr);
  g_object_unref(socket_);
}

IoResult TcpTransport::read(uint8_t* data, size_t size) {
  GError* error = nullptr;
  gssize n = g_socket_receive(socket_, reinterpret_cast<gchar*>(data), size, nullptr, &error);
  if (n < 0) return from_error(error, "receiving");
  if (n == 0) return IoResult::closed();
  acknowledge_at_once(static_cast<size_t>(n));
  return IoResult::ok(static_cast<size_t>(n));
}

// During the set-up exchange (handshake, commands and their replies: a few KB) the kernel
// delays its ACKs by up to 40 ms (interactive mode), and a server writing its replies as separate
// small segments with Nagle on (nginx-rtmp) waits for that ACK before sending the next one: one
// 40 ms stall per connection on loopback, seen between Window Acknowledgement Size and the rest of
// nginx's answer to connect. TCP_QUICKACK acknowledges at once; it is not sticky, so it is set
// again after every read until the set-up is surely over.
void TcpTransport::acknowledge_at_once(size_t received) {
#ifdef TCP_QUICKACK
  if (received_ >= kQuickAckBytes) return;
  received_ += received;
  g_socket_set_option(socket_, IPPROTO_TCP, TCP_QUICKACK, 1, nullptr);
#else
  (void)received;
#endif
}

IoResult TcpTransport::write(const GOutputVector* vectors, size_t count) {
  // sendmsg takes at most IOV_MAX (1024) vectors; the caller gets the rest on the next call.
  count = std::min<size_t>(count, 1024);
  GError* error = nullptr;
  gssize n = g_socket_send_message(socket_, nullptr, const_cast<GOutputVector*>(vectors),
                                   static_cast<gint>(count), nullptr, 0, G_SOCKET_MSG_NONE, nullptr,
                                   &error);
  if (n < 0) return from_error(error, "sending");
  return IoResult::ok(static_cast<size_t>(n));
}

void TcpTransport::shutdown_write() {
  g_socket_shutdown(socket_, FALSE, TRUE, nullptr);
}

}  // namespace rtmpsession
