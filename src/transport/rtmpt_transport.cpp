#include "transport/rtmpt_transport.hpp"

#include <algorithm>
#include <cstring>

#include "util/strings.hpp"

namespace rtmpsession {

namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr int kMaxReadsPerCall = 8;
// A poll due within this goes out now rather than on another wake-up just after.
constexpr int64_t kWakeupSlackUs = 1'000;

}  // namespace

RtmptTransport::RtmptTransport(std::unique_ptr<Transport> inner,
                               const config::TunnelOptions& options, const util::Clock& clock)
    : inner_(std::move(inner)),
      clock_(clock),
      codec_(options.host_header),
      timeout_ms_(options.timeout_ms),
      buffer_(kReadBytes) {}

std::string RtmptTransport::establishing_what() const {
  return inner_ready_ ? "the RTMPT tunnel to open" : inner_->establishing_what();
}

std::string RtmptTransport::describe() const {
  const std::string inner = inner_->describe();
  return inner == "tcp" ? "rtmpt" : inner + " + rtmpt";
}

bool RtmptTransport::has_buffered_input() const {
  return rx_offset_ < rx_.size() || has_error() || eof_ || inner_->has_buffered_input();
}

void RtmptTransport::set_error(ErrorKind kind, std::string message) {
  if (has_error()) return;
  error_kind_ = kind;
  error_message_ = std::move(message);
}

IoResult RtmptTransport::establish() {
  if (established_) return IoResult::ok(0);
  if (has_error()) return take_error();
  if (!inner_ready_) {
    IoResult r = inner_->establish();
    if (r.status != IoStatus::kOk) {
      if (r.status == IoStatus::kWouldBlock) wait_ = inner_->wait_condition();
      return r;
    }
    inner_ready_ = true;
    codec_.open(out_);
    requests_++;
    request_sent_us_ = clock_.now_us();
  }
  IoResult r = send_out();
  if (r.status == IoStatus::kError) return r;
  if (r.status == IoStatus::kClosed)
    return IoResult::error(ErrorKind::kConnectFailed,
                           "RTMPT server closed the connection before /open/1 was sent");
  if (r.status == IoStatus::kWouldBlock) return r;
  receive(1);
  if (has_error()) return take_error();
  if (codec_.opened()) {
    established_ = true;
    next_poll_us_ = clock_.now_us();
    return IoResult::ok(0);
  }
  if (eof_)
    return IoResult::error(ErrorKind::kConnectFailed,
                           "RTMPT server closed the connection in answer to /open/1");
  wait_ = G_IO_IN;
  return IoResult::would_block();
}

IoResult RtmptTransport::send_out() {
  while (out_offset_ < out_.size()) {
    GOutputVector v{out_.data() + out_offset_, out_.size() - out_offset_};
    IoResult r = inner_->write(&v, 1);
    if (r.status == IoStatus::kWouldBlock) wait_ = inner_->wait_condition();
    if (r.status != IoStatus::kOk) return r;
    out_offset_ += r.bytes;
  }
  out_.clear();
  out_offset_ = 0;
  IoResult r = inner_->flush();
  if (r.status == IoStatus::kWouldBlock) wait_ = inner_->wait_condition();
  return r;
}

void RtmptTransport::receive(size_t want) {
  if (rx_offset_ == rx_.size()) {
    rx_.clear();
    rx_offset_ = 0;
  }
  const ErrorKind kind = established_ ? ErrorKind::kProtocol : ErrorKind::kConnectFailed;
  for (int i = 0; i < kMaxReadsPerCall && rx_.size() - rx_offset_ < want; i++) {
    if (has_error() || eof_) return;
    IoResult r = inner_->read(buffer_.data(), buffer_.size());
    if (r.status == IoStatus::kWouldBlock) return;
    if (r.status == IoStatus::kError) return set_error(r.kind, std::move(r.message));
    if (r.status == IoStatus::kClosed) {
      if (codec_.mid_response())
        return set_error(ErrorKind::kDisconnected,
                         "RTMPT server closed the connection in the middle of its answer to " +
                             codec_.request_path());
      // Closing cleanly (stop commands sent, then shutdown_write()) but bytes never got through:
      // an error, not the end the session waits for.
      bool unanswered_send =
          codec_.outstanding() && codec_.request_command() == rtmp::RtmptCommand::kSend;
      if (close_requested_ && (unanswered_send || !pending_.empty()))
        return set_error(ErrorKind::kDisconnected,
                         "RTMPT server closed the connection before the last bytes were "
                         "delivered (no answer to " +
                             codec_.request_path() + ")");
      eof_ = true;
      return;
    }
    rtmp::ByteView in(buffer_.data(), r.bytes);
    while (!in.empty() && !has_error() && !eof_) {
      size_t used = 0;
      auto status = codec_.feed(in, &used, rx_);
      in = in.subspan(used);
      if (status == rtmp::RtmptClient::Status::kError) return set_error(kind, codec_.error());
      if (status == rtmp::RtmptClient::Status::kNeedMore) break;
      on_response();
    }
  }
}

void RtmptTransport::on_response() {
  const rtmp::RtmptResponse& response = codec_.last_response();
  server_closing_ = response.connection_close;
  if (response.command == rtmp::RtmptCommand::kOpen) return;  // establish() goes on
  if (response.command == rtmp::RtmptCommand::kClose) {
    eof_ = true;
    return;
  }
  int64_t now = clock_.now_us();
  next_poll_us_ = now + poll_.after(response);
  start_request(now);
  IoResult r = send_out();
  if (r.status == IoStatus::kError) set_error(r.kind, std::move(r.message));
  if (r.status == IoStatus::kClosed) eof_ = true;
}

void RtmptTransport::start_request(int64_t due_by) {
  if (!established_ || codec_.outstanding() || codec_.closed() || has_error() || eof_) return;
  bool started = false;
  if (!pending_.empty()) {
    size_t n = std::min(pending_.size(), kMaxSendBytes);
    started = codec_.send(rtmp::ByteView(pending_.data(), n), out_);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
  } else if (close_requested_) {
    started = codec_.close(out_);
  } else if (next_poll_us_ <= due_by) {
    started = codec_.idle(out_);
  }
  if (!started) return;
  requests_++;
  request_sent_us_ = clock_.now_us();
}

IoResult RtmptTransport::read(uint8_t* data, size_t size) {
  if (rx_offset_ == rx_.size() && !has_error() && !eof_) receive(size);
  size_t n = std::min(size, rx_.size() - rx_offset_);
  if (n > 0) {
    std::memcpy(data, rx_.data() + rx_offset_, n);
    rx_offset_ += n;
    return IoResult::ok(n);
  }
  if (has_error()) return take_error();
  if (eof_) {
    if (server_closing_ && !codec_.closed())
      return IoResult::error(ErrorKind::kDisconnected,
                             "RTMPT server ended the HTTP connection (it answered with "
                             "\"Connection: close\"); the tunnel needs a persistent connection");
    return IoResult::closed();
  }
  wait_ = G_IO_IN;
  return IoResult::would_block();
}

IoResult RtmptTransport::write(const GOutputVector* vectors, size_t count) {
  if (has_error()) return take_error();
  if (!established_ || close_requested_ || eof_) return IoResult::closed();
  size_t taken = 0;
  for (size_t i = 0; i < count && pending_.size() < kMaxPendingBytes; i++) {
    size_t n = std::min(vectors[i].size, kMaxPendingBytes - pending_.size());
    auto* p = static_cast<const uint8_t*>(vectors[i].buffer);
    pending_.insert(pending_.end(), p, p + n);
    taken += n;
    if (n < vectors[i].size) break;
  }
  start_request(0);
  IoResult r = send_out();
  if (r.status == IoStatus::kError) return r;
  if (r.status == IoStatus::kClosed) return IoResult::closed();
  if (taken == 0) {
    // Full: room comes when the outstanding request is answered (or its bytes are sent).
    if (r.status == IoStatus::kOk) wait_ = G_IO_IN;
    return IoResult::would_block();
  }
  return IoResult::ok(taken);
}

IoResult RtmptTransport::flush() {
  if (has_error()) return take_error();
  start_request(0);
  IoResult r = send_out();
  if (r.status == IoStatus::kClosed) return IoResult::closed();
  return r;
}

void RtmptTransport::shutdown_write() {
  if (!established_ || close_requested_) return;
  close_requested_ = true;
  start_request(0);
  IoResult r = send_out();
  if (r.status == IoStatus::kError) set_error(r.kind, std::move(r.message));
}

// An outstanding request's bytes are in the kernel (or delivered), counted there.
uint64_t RtmptTransport::buffered_output() const {
  return pending_.size() + (out_.size() - out_offset_) + inner_->buffered_output();
}

int64_t RtmptTransport::next_wakeup_us() const {
  if (!established_ || has_error() || eof_ || codec_.closed()) return 0;
  if (codec_.outstanding())
    return timeout_ms_ > 0 ? request_sent_us_ + int64_t{timeout_ms_} * 1000 : 0;
  if (!pending_.empty() || close_requested_) return 0;
  return next_poll_us_ > 0 ? next_poll_us_ : 0;
}

void RtmptTransport::on_wakeup(int64_t now_us) {
  inner_->on_wakeup(now_us);
  if (!established_ || has_error() || eof_) return;
  if (codec_.outstanding() && timeout_ms_ > 0 &&
      now_us - request_sent_us_ >= int64_t{timeout_ms_} * 1000) {
    set_error(ErrorKind::kTimeout, "RTMPT server did not answer " + codec_.request_path() +
                                       " within " + util::duration_text(timeout_ms_));
    return;
  }
  start_request(now_us + kWakeupSlackUs);
  IoResult r = send_out();
  if (r.status == IoStatus::kError) set_error(r.kind, std::move(r.message));
  if (r.status == IoStatus::kClosed) eof_ = true;
}

}  // namespace rtmpsession
