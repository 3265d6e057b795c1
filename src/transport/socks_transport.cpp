#include "transport/socks_transport.hpp"

#include <algorithm>
#include <cstring>

namespace rtmpsession {

using rtmp::socks::ClientNegotiator;

SocksTransport::SocksTransport(std::unique_ptr<Transport> inner, rtmp::socks::Request request)
    : inner_(std::move(inner)), request_(request), negotiator_(std::move(request)) {}

std::string SocksTransport::establishing_what() const {
  return negotiator_.waiting_for();
}

std::string SocksTransport::describe() const {
  switch (request_.version) {
    case rtmp::socks::Version::kSocks5:
      return "socks5";
    case rtmp::socks::Version::kSocks4a:
      return "socks4a";
    case rtmp::socks::Version::kSocks4:
      return "socks4";
  }
  return "socks";
}

GIOCondition SocksTransport::wait_condition() const {
  return done_ ? inner_->wait_condition() : waiting_;
}

bool SocksTransport::has_buffered_input() const {
  return early_input_read_ < early_input_.size() || inner_->has_buffered_input();
}

IoResult SocksTransport::establish() {
  if (done_) return IoResult::ok(0);
  if (error_.status == IoStatus::kError) return error_;
  IoResult r = inner_->establish();
  if (r.status != IoStatus::kOk) {
    if (r.status == IoStatus::kWouldBlock) waiting_ = inner_->wait_condition();
    return r;
  }
  if (!started_) {
    started_ = true;
    if (negotiator_.start(output_) == ClientNegotiator::Status::kError) return failed();
  }
  r = negotiate();
  if (r.status == IoStatus::kError) error_ = r;
  return r;
}

// Sends what the negotiator produced, then feeds what the proxy answers, until done or blocked.
IoResult SocksTransport::negotiate() {
  uint8_t buffer[512];
  while (true) {
    IoResult sent = send_pending();
    if (sent.status != IoStatus::kOk) return sent;
    IoResult got = inner_->read(buffer, sizeof buffer);
    if (got.status == IoStatus::kWouldBlock) {
      waiting_ = G_IO_IN;
      return got;
    }
    if (got.status != IoStatus::kOk) return lost(got);
    size_t consumed = 0;
    auto status = negotiator_.feed(rtmp::ByteView(buffer, got.bytes), &consumed, output_);
    if (status == ClientNegotiator::Status::kError) return failed();
    if (status == ClientNegotiator::Status::kDone) {
      early_input_.assign(buffer + consumed, buffer + got.bytes);
      done_ = true;
      return IoResult::ok(0);
    }
  }
}

IoResult SocksTransport::send_pending() {
  while (output_sent_ < output_.size()) {
    GOutputVector v{output_.data() + output_sent_, output_.size() - output_sent_};
    IoResult r = inner_->write(&v, 1);
    if (r.status == IoStatus::kOk) output_sent_ += r.bytes;
    if (r.status == IoStatus::kOk) r = inner_->flush();
    if (r.status == IoStatus::kWouldBlock) {
      waiting_ = inner_->wait_condition();
      return r;
    }
    if (r.status != IoStatus::kOk) return lost(r);
  }
  output_.clear();
  output_sent_ = 0;
  return IoResult::ok(0);
}

// The inner transport closed or failed during the negotiation.
IoResult SocksTransport::lost(const IoResult& inner_result) const {
  std::string name = rtmp::socks::version_name(request_.version);
  std::string waited = negotiator_.waiting_for();
  if (inner_result.status == IoStatus::kClosed)
    return IoResult::error(ErrorKind::kProxy, "proxy " + request_.proxy_where +
                                                  " closed the connection while we waited for " +
                                                  waited + " (not a " + name + " proxy?)");
  return IoResult::error(ErrorKind::kProxy, "proxy " + request_.proxy_where + ": " +
                                                inner_result.message + " (while waiting for " +
                                                waited + ")");
}

IoResult SocksTransport::failed() {
  ErrorKind kind = negotiator_.failure() == ClientNegotiator::Failure::kBadRequest
                       ? ErrorKind::kBadLocation
                       : ErrorKind::kProxy;
  error_ = IoResult::error(kind, negotiator_.error());
  return error_;
}

IoResult SocksTransport::read(uint8_t* data, size_t size) {
  if (early_input_read_ < early_input_.size()) {
    size_t n = std::min(size, early_input_.size() - early_input_read_);
    std::memcpy(data, early_input_.data() + early_input_read_, n);
    early_input_read_ += n;
    if (early_input_read_ == early_input_.size()) {
      early_input_.clear();
      early_input_read_ = 0;
    }
    return IoResult::ok(n);
  }
  return inner_->read(data, size);
}

IoResult SocksTransport::write(const GOutputVector* vectors, size_t count) {
  return inner_->write(vectors, count);
}

}  // namespace rtmpsession
