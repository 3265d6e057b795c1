// RTMPT (rtmpt://, and rtmpts:// over a TLS layer): the RTMP byte stream tunnelled through HTTP
// POST requests on one keep-alive connection, over any inner transport (rtmp/rtmpt_codec.hpp has
// the protocol).
//
// establish() opens the tunnel (POST /open/1, the answer is the session id). write() takes RTMP
// bytes (up to kMaxPendingBytes not yet sent) and sends them as POST /send/<id>/<seq> whenever no
// request is outstanding, coalescing what was written meanwhile (at most kMaxSendBytes a request).
// When nothing is to be sent the layer polls with POST /idle/<id>/<seq>: at once after a response
// that carried RTMP bytes, else after the delay rtmp::RtmptPollPolicy gives (the server's hint,
// and back-off while responses stay empty). Delayed polls go out from on_wakeup(), which the
// session calls at next_wakeup_us(). read() gives the RTMP bytes of the
// response bodies. shutdown_write() sends POST /close/<id>/<seq> after the bytes still pending;
// read() reports kClosed once it is answered. A request unanswered for the session's timeout fails
// the connection (next_wakeup_us() is its deadline; the failure is reported by the next read(),
// which has_buffered_input() makes the session call).
#pragma once

#include <memory>
#include <string>

#include "config/connection.hpp"
#include "transport/transport.hpp"
#include "tunnel/rtmpt_codec.hpp"
#include "util/clock.hpp"

namespace rtmpsession {

class RtmptTransport : public Transport {
 public:
  static constexpr size_t kMaxSendBytes = 256 * 1024;      // RTMP bytes in one /send
  static constexpr size_t kMaxPendingBytes = 1024 * 1024;  // taken by write(), not yet sent

  RtmptTransport(std::unique_ptr<Transport> inner, const config::TunnelOptions& options,
                 const util::Clock& clock);
  RtmptTransport(const RtmptTransport&) = delete;
  RtmptTransport& operator=(const RtmptTransport&) = delete;

  IoResult establish() override;
  std::string establishing_what() const override;
  IoResult read(uint8_t* data, size_t size) override;
  IoResult write(const GOutputVector* vectors, size_t count) override;
  IoResult flush() override;
  void shutdown_write() override;
  uint64_t buffered_output() const override;
  GIOCondition wait_condition() const override { return wait_; }
  bool has_buffered_input() const override;
  GSocket* socket() const override { return inner_->socket(); }
  void on_wakeup(int64_t now_us) override;
  // The deadline of the outstanding request, else the next idle poll when nothing is under way.
  int64_t next_wakeup_us() const override;
  std::string describe() const override;

  // For tests and logs.
  const std::string& session_id() const { return codec_.session_id(); }
  uint64_t requests_sent() const { return requests_; }

 private:
  // Sends the request bytes the inner transport has not taken yet. kOk when none are left.
  IoResult send_out();
  // Reads from the inner transport and feeds the codec until it would block or `want` RTMP
  // bytes wait in rx_. Failures and the end of the tunnel go to error_ / eof_.
  void receive(size_t want);
  void on_response();
  // Starts the next request when none is outstanding: pending RTMP bytes, then the close, then
  // an idle poll once next_poll_us_ is at most `due_by`.
  void start_request(int64_t due_by);
  void set_error(ErrorKind kind, std::string message);
  IoResult take_error() const { return IoResult::error(error_kind_, error_message_); }
  bool has_error() const { return error_kind_ != ErrorKind::kNone; }

  std::unique_ptr<Transport> inner_;
  const util::Clock& clock_;
  rtmp::RtmptClient codec_;
  rtmp::RtmptPollPolicy poll_;
  uint32_t timeout_ms_;

  bool inner_ready_ = false;
  bool established_ = false;
  bool close_requested_ = false;
  bool eof_ = false;             // the tunnel was closed (answer to /close, or the server closed)
  bool server_closing_ = false;  // the last response said Connection: close

  rtmp::Bytes out_;  // the request being sent to the inner transport
  size_t out_offset_ = 0;
  rtmp::Bytes pending_;  // RTMP bytes taken by write(), not yet in a request
  rtmp::Bytes rx_;       // RTMP bytes from response bodies, not yet read()
  size_t rx_offset_ = 0;
  rtmp::Bytes buffer_;  // inner reads

  int64_t request_sent_us_ = 0;
  int64_t next_poll_us_ = 0;
  uint64_t requests_ = 0;
  GIOCondition wait_ = G_IO_OUT;

  ErrorKind error_kind_ = ErrorKind::kNone;
  std::string error_message_;
};

}  // namespace rtmpsession
