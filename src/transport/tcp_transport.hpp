// Plain TCP on a connected, non-blocking GSocket: the bottom of every transport stack.
#pragma once

#include "transport/transport.hpp"

namespace rtmpsession {

class TcpTransport : public Transport {
 public:
  // Takes a reference to the connected socket; the destructor closes it.
  explicit TcpTransport(GSocket* socket);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  IoResult establish() override { return IoResult::ok(0); }
  std::string establishing_what() const override { return "the TCP connection"; }
  IoResult read(uint8_t* data, size_t size) override;
  IoResult write(const GOutputVector* vectors, size_t count) override;
  void shutdown_write() override;
  GSocket* socket() const override { return socket_; }
  std::string describe() const override { return "tcp"; }
  uint64_t buffered_output() const override { return 0; }  // writes go to the socket directly

 private:
  static constexpr size_t kQuickAckBytes = 64 * 1024;
  void acknowledge_at_once(size_t received);

  GSocket* socket_;
  size_t received_ = 0;  // counted up to kQuickAckBytes
};

}  // namespace rtmpsession
