// TLS (rtmps://, and under the RTMPT tunnel for rtmpts://) with OpenSSL 3 over any inner
// transport: OpenSSL works on two memory BIOs and this layer moves the ciphertext between them
// and the inner transport, so TLS runs over plain TCP or over a proxy layer alike.
//
// The server certificate is checked against tls_ca_file (or the system store) and the host name
// of the URL; every problem found is mapped to GTlsCertificateFlags, and the connection fails only
// for the problems named in tls_validation_flags (rtmp2's meaning of tls-validation-flags).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/connection.hpp"
#include "transport/transport.hpp"

namespace rtmpsession {

class TlsTransport : public Transport {
 public:
  TlsTransport(std::unique_ptr<Transport> inner, const config::TlsOptions& options);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  IoResult establish() override;
  std::string establishing_what() const override;
  IoResult read(uint8_t* data, size_t size) override;
  IoResult write(const GOutputVector* vectors, size_t count) override;
  IoResult flush() override;
  void shutdown_write() override;
  uint64_t buffered_output() const override;
  GIOCondition wait_condition() const override { return wait_condition_; }
  bool has_buffered_input() const override;
  GSocket* socket() const override { return inner_->socket(); }
  void on_wakeup(int64_t now_us) override { inner_->on_wakeup(now_us); }
  std::string describe() const override;

  // Certificate problems found in the last handshake (GTlsCertificateFlags), for tests.
  uint32_t certificate_problems() const { return problems_; }

  // Called by OpenSSL's verification for every certificate check (internal).
  void record_verify_error(int x509_error);

 private:
  std::string setup(const std::string& ca_file);
  IoResult handshake_step();
  IoResult handshake_failure(int ssl_error);
  IoResult check_certificate();
  std::string certificate_error_text(uint32_t failing) const;
  // Moves ciphertext from OpenSSL to the inner transport; kWouldBlock if some is left.
  IoResult send_pending();
  // Feeds ciphertext from the inner transport to OpenSSL. kOk when bytes were added.
  IoResult receive_more();
  IoResult read_failure(int ssl_error, size_t got);

  std::unique_ptr<Transport> inner_;
  std::string host_;
  uint16_t port_;
  uint32_t validation_flags_;
  std::string setup_error_;
  ErrorKind setup_error_kind_ = ErrorKind::kNone;

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // ciphertext from the server, read by OpenSSL
  BIO* network_out_ = nullptr;  // ciphertext written by OpenSSL, for the server

  std::vector<uint8_t> out_;  // ciphertext the inner transport has not taken yet
  size_t out_offset_ = 0;
  bool inner_ready_ = false;  // the inner transport is established
  bool established_ = false;
  bool answered_ = false;          // the server has sent ciphertext
  bool starved_ = false;           // OpenSSL needs more ciphertext than it has
  bool shutdown_pending_ = false;  // close_notify waits in out_; then shut the inner down
  GIOCondition wait_condition_ = G_IO_IN;

  uint32_t problems_ = 0;               // GTlsCertificateFlags found by the verification
  std::array<std::string, 7> reasons_;  // OpenSSL's text of the first error of each flag
};

}  // namespace rtmpsession
