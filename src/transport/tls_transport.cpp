#include "transport/tls_transport.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rtmpsession {

namespace {

constexpr size_t kMaxPendingCiphertext = 256 * 1024;  // take no more plaintext above this
constexpr size_t kReceiveChunk = 32 * 1024;

// The reason of the last error on this thread's OpenSSL error queue ("" if none); clears it.
std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  std::string text;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    text = reason ? reason : "OpenSSL error " + std::to_string(ERR_GET_REASON(e));
  }
  ERR_clear_error();
  return text;
}

// rtmp2's (GIO's) meaning of a certificate problem.
uint32_t flag_for(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_INVALID_CA:
      return G_TLS_CERTIFICATE_UNKNOWN_CA;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return G_TLS_CERTIFICATE_BAD_IDENTITY;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return G_TLS_CERTIFICATE_NOT_ACTIVATED;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return G_TLS_CERTIFICATE_EXPIRED;
    case X509_V_ERR_CERT_REVOKED:
      return G_TLS_CERTIFICATE_REVOKED;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return G_TLS_CERTIFICATE_INSECURE;
    default:
      return G_TLS_CERTIFICATE_GENERIC_ERROR;
  }
}

// Index of a single-bit GTlsCertificateFlags value (0..6).
size_t flag_index(uint32_t flag) {
  size_t i = 0;
  while (flag > 1) {
    flag >>= 1;
    i++;
  }
  return i;
}

// Records every problem and goes on, so one problem (an unknown CA) does not hide another (a
// wrong host); check_certificate() decides after the handshake.
int on_verify(int ok, X509_STORE_CTX* store) {
  if (ok) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl ? static_cast<TlsTransport*>(SSL_get_app_data(ssl)) : nullptr;
  if (self) self->record_verify_error(X509_STORE_CTX_get_error(store));
  return 1;
}

std::string general_name_text(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS) {
    const ASN1_IA5STRING* s = name->d.dNSName;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
  }
  if (name->type == GEN_IPADD) {
    const ASN1_OCTET_STRING* s = name->d.iPAddress;
    int len = ASN1_STRING_length(s);
    if (len != 4 && len != 16) return {};
    GInetAddress* address = g_inet_address_new_from_bytes(
        ASN1_STRING_get0_data(s), len == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
    gchar* text = g_inet_address_to_string(address);
    std::string out = text;
    g_free(text);
    g_object_unref(address);
    return out;
  }
  return {};
}

// The names a certificate is for: its DNS and IP subject alternative names, else its CN.
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
      std::string name = general_name_text(sk_GENERAL_NAME_value(sans, i));
      if (!name.empty()) names.push_back(std::move(name));
    }
    GENERAL_NAMES_free(sans);
  }
  char cn[256];
  if (names.empty() &&
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
    names.emplace_back(cn);
  return names;
}

// A handshake error that says the server answered with something else than TLS.
bool not_tls_reason(unsigned long e) {
  if (ERR_GET_LIB(e) != ERR_LIB_SSL) return false;
  int r = ERR_GET_REASON(e);
  return r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
         r == SSL_R_HTTP_REQUEST || r == SSL_R_UNKNOWN_PROTOCOL;
}

}  // namespace

TlsTransport::TlsTransport(std::unique_ptr<Transport> inner, const config::TlsOptions& options)
    : inner_(std::move(inner)),
      host_(options.host),
      port_(options.port),
      validation_flags_(options.validation_flags) {
  setup_error_ = setup(options.ca_file);
}

TlsTransport::~TlsTransport() {
  if (ssl_) {
    SSL_free(ssl_);  // frees both BIOs
  } else {
    BIO_free(network_in_);
    BIO_free(network_out_);
  }
  SSL_CTX_free(ctx_);
}

std::string TlsTransport::setup(const std::string& ca) {
  setup_error_kind_ = ErrorKind::kTls;
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) return "cannot create a TLS context: " + openssl_reason();
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
  if (!ca.empty()) {
    FILE* f = fopen(ca.c_str(), "r");
    if (!f) {
      setup_error_kind_ = ErrorKind::kBadLocation;
      return "cannot read tls-ca-file '" + ca + "': " + strerror(errno);
    }
    fclose(f);
    if (SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr) != 1) {
      setup_error_kind_ = ErrorKind::kBadLocation;
      return "tls-ca-file '" + ca + "' holds no usable CA certificate: " + openssl_reason();
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
    return "cannot load the system's trusted CA certificates: " + openssl_reason();
  }
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  ssl_ = SSL_new(ctx_);
  if (!ssl_ || !network_in_ || !network_out_) return "cannot set up TLS: " + openssl_reason();
  BIO_set_mem_eof_return(network_in_, -1);  // no ciphertext yet means "retry", not end of stream
  SSL_set_bio(ssl_, network_in_, network_out_);
  SSL_set_app_data(ssl_, this);
  SSL_set_connect_state(ssl_);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // OpenSSL checks the chain and the name but never aborts: check_certificate() decides.
  SSL_set_verify(ssl_, SSL_VERIFY_NONE, on_verify);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool named = true;
  if (g_hostname_is_ip_address(host_.c_str())) {
    named = X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str()) == 1;
  } else {
    named = SSL_set_tlsext_host_name(ssl_, host_.c_str()) == 1 &&
            X509_VERIFY_PARAM_set1_host(param, host_.c_str(), 0) == 1;
  }
  if (!named) return "cannot use '" + host_ + "' as the TLS server name: " + openssl_reason();
  setup_error_kind_ = ErrorKind::kNone;
  return {};
}

std::string TlsTransport::establishing_what() const {
  if (!inner_ready_) return inner_->establishing_what();
  return answered_ ? "the TLS handshake"
                   : "the TLS handshake (no answer from the server: does it speak TLS on port " +
                         std::to_string(port_) + "?)";
}

void TlsTransport::record_verify_error(int x509_error) {
  uint32_t flag = flag_for(x509_error);
  std::string& reason = reasons_[flag_index(flag)];
  if (reason.empty()) reason = X509_verify_cert_error_string(x509_error);
  problems_ |= flag;
}

IoResult TlsTransport::establish() {
  if (setup_error_kind_ != ErrorKind::kNone)
    return IoResult::error(setup_error_kind_, setup_error_);
  if (established_) return IoResult::ok(0);
  if (!inner_ready_) {  // a proxy negotiation under TLS goes first
    IoResult r = inner_->establish();
    if (r.status == IoStatus::kWouldBlock) wait_condition_ = inner_->wait_condition();
    if (r.status != IoStatus::kOk) return r;
    inner_ready_ = true;
  }
  for (;;) {
    IoResult step = handshake_step();
    if (step.status != IoStatus::kOk) return step;
    if (established_) return IoResult::ok(0);
  }
}

// One SSL_connect call and the I/O it asks for. kOk: call again (or done when established_).
IoResult TlsTransport::handshake_step() {
  ERR_clear_error();
  int r = SSL_connect(ssl_);
  int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  if (r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
    IoResult failure = handshake_failure(e);
    send_pending();  // the alert, if any; the connection fails anyway
    return failure;
  }
  IoResult sent = send_pending();
  if (sent.status == IoStatus::kClosed)
    return IoResult::error(ErrorKind::kTls,
                           "the server closed the connection during the TLS handshake");
  if (sent.status == IoStatus::kError) return sent;
  if (r == 1) {
    // Our last handshake message may still wait in out_: the next write or flush sends it.
    IoResult verdict = check_certificate();
    if (verdict.status != IoStatus::kOk) return verdict;
    established_ = true;
    return IoResult::ok(0);
  }
  if (sent.status == IoStatus::kWouldBlock) return sent;
  IoResult got = receive_more();
  if (got.status == IoStatus::kClosed)
    return IoResult::error(ErrorKind::kTls,
                           "the server closed the connection during the TLS "
                           "handshake (does it speak TLS on port " +
                               std::to_string(port_) + "?)");
  return got;
}

IoResult TlsTransport::handshake_failure(int ssl_error) {
  unsigned long e = ERR_peek_last_error();
  std::string reason = openssl_reason();
  if (reason.empty())
    reason = ssl_error == SSL_ERROR_SYSCALL ? "unexpected end of the handshake"
                                            : "OpenSSL error " + std::to_string(ssl_error);
  std::string message =
      "TLS handshake with " + host_ + ":" + std::to_string(port_) + " failed: " + reason;
  if (not_tls_reason(e)) message += " (does the server speak TLS on this port?)";
  return IoResult::error(ErrorKind::kTls, std::move(message));
}

IoResult TlsTransport::check_certificate() {
  if (!SSL_get0_peer_certificate(ssl_)) {
    problems_ |= G_TLS_CERTIFICATE_GENERIC_ERROR;
    reasons_[flag_index(G_TLS_CERTIFICATE_GENERIC_ERROR)] = "the server sent no certificate";
  }
  uint32_t failing = problems_ & validation_flags_;
  if (failing == 0) return IoResult::ok(0);
  return IoResult::error(ErrorKind::kTls, certificate_error_text(failing));
}

std::string TlsTransport::certificate_error_text(uint32_t failing) const {
  auto reason = [&](GTlsCertificateFlags f) { return reasons_[flag_index(f)]; };
  std::string of = "TLS certificate of " + host_;
  std::vector<std::string> parts;
  if (failing & G_TLS_CERTIFICATE_UNKNOWN_CA)
    parts.push_back(of + " not trusted: " + reason(G_TLS_CERTIFICATE_UNKNOWN_CA) + " (unknown CA)");
  if (failing & G_TLS_CERTIFICATE_BAD_IDENTITY) {
    X509* cert = SSL_get0_peer_certificate(ssl_);
    std::vector<std::string> names = cert ? certificate_names(cert) : std::vector<std::string>{};
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
    parts.push_back(list.empty() ? "TLS certificate names no host, not '" + host_ + "'"
                                 : "TLS certificate is for " + list + ", not '" + host_ + "'");
  }
  if (failing & G_TLS_CERTIFICATE_NOT_ACTIVATED) parts.push_back(of + " is not valid yet");
  if (failing & G_TLS_CERTIFICATE_EXPIRED) parts.push_back(of + " has expired");
  if (failing & G_TLS_CERTIFICATE_REVOKED) parts.push_back(of + " has been revoked");
  if (failing & G_TLS_CERTIFICATE_INSECURE)
    parts.push_back(of + " is insecure: " + reason(G_TLS_CERTIFICATE_INSECURE));
  if (failing & G_TLS_CERTIFICATE_GENERIC_ERROR)
    parts.push_back(of + " could not be verified: " + reason(G_TLS_CERTIFICATE_GENERIC_ERROR));
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : "; ") + p;
  text += (failing & G_TLS_CERTIFICATE_UNKNOWN_CA)
              ? "; set tls-ca-file or tls-validation-flags to accept it"
              : "; set tls-validation-flags to accept it";
  return text;
}

IoResult TlsTransport::send_pending() {
  size_t produced = BIO_ctrl_pending(network_out_);
  if (produced > 0) {
    size_t old = out_.size();
    out_.resize(old + produced);
    int n = BIO_read(network_out_, out_.data() + old, static_cast<int>(produced));
    out_.resize(old + static_cast<size_t>(std::max(n, 0)));
  }
  while (out_offset_ < out_.size()) {
    GOutputVector v{out_.data() + out_offset_, out_.size() - out_offset_};
    IoResult r = inner_->write(&v, 1);
    if (r.status == IoStatus::kOk && r.bytes > 0) {
      out_offset_ += r.bytes;
      continue;
    }
    if (r.status == IoStatus::kOk || r.status == IoStatus::kWouldBlock) {
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_offset_));
      out_offset_ = 0;
      wait_condition_ = inner_->wait_condition();
      return IoResult::would_block();
    }
    return r;
  }
  out_.clear();
  out_offset_ = 0;
  IoResult f = inner_->flush();
  if (f.status == IoStatus::kWouldBlock) wait_condition_ = inner_->wait_condition();
  return f;
}

IoResult TlsTransport::receive_more() {
  uint8_t buffer[kReceiveChunk];
  IoResult r = inner_->read(buffer, sizeof buffer);
  if (r.status == IoStatus::kOk && r.bytes > 0) {
    BIO_write(network_in_, buffer, static_cast<int>(r.bytes));
    starved_ = false;
    answered_ = true;
    return r;
  }
  if (r.status == IoStatus::kOk || r.status == IoStatus::kWouldBlock) {
    starved_ = true;
    wait_condition_ = G_IO_IN;
    return IoResult::would_block();
  }
  return r;
}

IoResult TlsTransport::read(uint8_t* data, size_t size) {
  if (!established_) return IoResult::would_block();
  size_t got = 0;
  while (got < size) {
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_read_ex(ssl_, data + got, size - got, &n);
    if (r == 1) {
      got += n;
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ) return read_failure(e, got);
    IoResult more = receive_more();
    if (more.status == IoStatus::kOk) continue;
    if (more.status == IoStatus::kWouldBlock) break;
    // The server closed TCP without close_notify: the end of the stream all the same.
    if (more.status == IoStatus::kClosed && got > 0) break;
    return more;
  }
  // Reading may have produced records to send (a key update answer); flush() sends the rest.
  IoResult sent = send_pending();
  if (sent.status == IoStatus::kError) return sent;
  if (got > 0) return IoResult::ok(got);
  wait_condition_ = G_IO_IN;
  return IoResult::would_block();
}

IoResult TlsTransport::read_failure(int ssl_error, size_t got) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN)  // close_notify
    return got > 0 ? IoResult::ok(got) : IoResult::closed();
  if (ssl_error == SSL_ERROR_WANT_WRITE)
    return got > 0 ? IoResult::ok(got) : IoResult::would_block();
  std::string reason = openssl_reason();
  if (reason.empty()) reason = "OpenSSL error " + std::to_string(ssl_error);
  return IoResult::error(ErrorKind::kDisconnected, "TLS error while receiving: " + reason);
}

IoResult TlsTransport::write(const GOutputVector* vectors, size_t count) {
  if (!established_) return IoResult::would_block();
  IoResult sent = send_pending();
  if (sent.status == IoStatus::kError || sent.status == IoStatus::kClosed) return sent;
  size_t taken = 0;
  size_t offered = 0;
  bool wants_read = false;
  for (size_t i = 0; i < count; i++) offered += vectors[i].size;
  auto pending = [&] { return out_.size() - out_offset_ + BIO_ctrl_pending(network_out_); };
  for (size_t i = 0; i < count && pending() < kMaxPendingCiphertext; i++) {
    const auto* p = static_cast<const uint8_t*>(vectors[i].buffer);
    size_t done = 0;
    while (done < vectors[i].size && pending() < kMaxPendingCiphertext) {
      ERR_clear_error();
      size_t n = 0;
      int r = SSL_write_ex(ssl_, p + done, vectors[i].size - done, &n);
      if (r != 1) {
        int e = SSL_get_error(ssl_, r);
        wants_read = e == SSL_ERROR_WANT_READ;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        std::string reason = openssl_reason();
        return IoResult::error(ErrorKind::kDisconnected, "TLS error while sending: " + reason);
      }
      done += n;
    }
    taken += done;
    if (done < vectors[i].size) break;
  }
  sent = send_pending();
  if (sent.status == IoStatus::kError || sent.status == IoStatus::kClosed) return sent;
  if (taken > 0 || (offered == 0 && sent.status == IoStatus::kOk)) return IoResult::ok(taken);
  // Nothing taken: never kOk with 0 bytes, which would make the caller spin.
  if (wants_read) wait_condition_ = G_IO_IN;
  return IoResult::would_block();
}

IoResult TlsTransport::flush() {
  if (!ssl_) return IoResult::ok(0);
  IoResult r = send_pending();
  if (r.status == IoStatus::kOk && shutdown_pending_) {
    shutdown_pending_ = false;
    inner_->shutdown_write();
  }
  return r;
}

void TlsTransport::shutdown_write() {
  if (established_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify
    ERR_clear_error();
    if (send_pending().status == IoStatus::kWouldBlock) {
      shutdown_pending_ = true;  // flush() finishes it (the session flushes until it is done)
      return;
    }
  }
  inner_->shutdown_write();
}

bool TlsTransport::has_buffered_input() const {
  if (!established_) return false;
  return SSL_pending(ssl_) > 0 || (!starved_ && BIO_ctrl_pending(network_in_) > 0) ||
         inner_->has_buffered_input();
}

std::string TlsTransport::describe() const {
  std::string tls = established_ ? std::string("tls (") + SSL_get_version(ssl_) + ")" : "tls";
  std::string inner = inner_->describe();
  return inner == "tcp" ? tls : inner + " + " + tls;
}

uint64_t TlsTransport::buffered_output() const {
  uint64_t records = network_out_ ? BIO_ctrl_pending(network_out_) : 0;
  return (out_.size() - out_offset_) + records + (inner_ ? inner_->buffered_output() : 0);
}

}  // namespace rtmpsession
