// A SOCKS5 / SOCKS4a / SOCKS4 proxy layer: establish() runs rtmp::socks::ClientNegotiator over the
// inner transport (connected to the proxy) until the proxy has connected us to the server; then
// every byte passes through unchanged. Bytes the proxy relayed right after its reply are kept
// and read first.
#pragma once

#include <memory>
#include <string>

#include "proxy/socks_client.hpp"
#include "transport/transport.hpp"
#include "util/bytes.hpp"

namespace rtmpsession {

class SocksTransport : public Transport {
 public:
  SocksTransport(std::unique_ptr<Transport> inner, rtmp::socks::Request request);
  SocksTransport(const SocksTransport&) = delete;
  SocksTransport& operator=(const SocksTransport&) = delete;

  IoResult establish() override;
  std::string establishing_what() const override;
  IoResult read(uint8_t* data, size_t size) override;
  IoResult write(const GOutputVector* vectors, size_t count) override;
  IoResult flush() override { return inner_->flush(); }
  void shutdown_write() override { inner_->shutdown_write(); }
  uint64_t buffered_output() const override { return inner_->buffered_output(); }
  GIOCondition wait_condition() const override;
  bool has_buffered_input() const override;
  GSocket* socket() const override { return inner_->socket(); }
  void on_wakeup(int64_t now_us) override { inner_->on_wakeup(now_us); }
  std::string describe() const override;

 private:
  IoResult negotiate();
  IoResult send_pending();
  IoResult lost(const IoResult& inner_result) const;
  IoResult failed();

  std::unique_ptr<Transport> inner_;
  rtmp::socks::Request request_;
  rtmp::socks::ClientNegotiator negotiator_;
  bool started_ = false;
  bool done_ = false;
  IoResult error_;      // sticky once negotiation failed
  rtmp::Bytes output_;  // negotiation bytes not yet sent
  size_t output_sent_ = 0;
  rtmp::Bytes early_input_;  // tunnelled bytes that came with the proxy's last reply
  size_t early_input_read_ = 0;
  GIOCondition waiting_ = G_IO_OUT;
};

}  // namespace rtmpsession
