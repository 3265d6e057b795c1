// rtmps:// through the session: a real TLS server in the test process (blocking OpenSSL on a
// thread, certificates made at start with the OpenSSL API) that relays to the scripted RTMP
// server. Covers certificate checks and their flags, handshake failures, cancellation and the
// deadline during the TLS handshake, and media both ways over TLS.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_server.hpp"
#include "session/session.hpp"
#include "session_test_support.hpp"
#include "transport/tcp_transport.hpp"
#include "transport/tls_transport.hpp"

using namespace rtmpsession;
using sessiontest::kPrompt;
using sessiontest::Recorder;
using sessiontest::Running;
using sessiontest::SteadyClock;
using sessiontest::TestConfig;

namespace {

constexpr uint32_t kAllButIdentity =
    G_TLS_CERTIFICATE_VALIDATE_ALL & ~G_TLS_CERTIFICATE_BAD_IDENTITY;
constexpr uint32_t kAllButUnknownCa =
    G_TLS_CERTIFICATE_VALIDATE_ALL & ~G_TLS_CERTIFICATE_UNKNOWN_CA;

// ---- Certificates ---------------------------------------------------------------------------

struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  Identity() = default;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;
  ~Identity() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `cn` (and `san`, e.g. "DNS:localhost,IP:127.0.0.1"), signed by `issuer`
// (self-signed when null), valid from now + from_s to now + until_s.
void make_identity(Identity* out, const std::string& cn, const std::string& san,
                   const Identity* issuer, bool ca = false, long from_s = -3600,
                   long until_s = 86400) {
  static int serial = 1;
  out->key = EVP_EC_gen("P-256");
  ASSERT_NE(out->key, nullptr);
  X509* x = out->cert = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), from_s);
  X509_gmtime_adj(X509_getm_notAfter(x), until_s);
  X509_set_pubkey(x, out->key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer->cert : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  if (ca) {
    add_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(x, signer, NID_basic_constraints, "CA:FALSE");
    if (!san.empty()) add_extension(x, signer, NID_subject_alt_name, san.c_str());
  }
  ASSERT_GT(X509_sign(x, issuer ? issuer->key : out->key, EVP_sha256()), 0);
}

// Everything the tests need, made once: a CA, certificates it signed, a self-signed one.
struct Pki {
  Identity ca, server, other_host, expired, self_signed, self_signed_other;
  std::string dir, ca_file;

  Pki() {
    make_identity(&ca, "Test CA", "", nullptr, true);
    make_identity(&server, "localhost", "DNS:localhost,IP:127.0.0.1", &ca);
    make_identity(&other_host, "other.example", "DNS:other.example", &ca);
    make_identity(&expired, "localhost", "DNS:localhost,IP:127.0.0.1", &ca, false, -7200, -3600);
    make_identity(&self_signed, "localhost", "DNS:localhost,IP:127.0.0.1", nullptr);
    make_identity(&self_signed_other, "other.example", "DNS:other.example", nullptr);
    char tmpl[] = "/tmp/tls-test-XXXXXX";
    dir = mkdtemp(tmpl);
    ca_file = dir + "/ca.pem";
    FILE* f = fopen(ca_file.c_str(), "w");
    PEM_write_X509(f, ca.cert);
    fclose(f);
  }
  ~Pki() {
    unlink(ca_file.c_str());
    rmdir(dir.c_str());
  }
};

Pki& pki() {
  static Pki instance;
  return instance;
}

// ---- A blocking TLS server on a thread --------------------------------------------------------

int listen_loopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 8) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int connect_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Accepts TLS connections with `identity` and relays the plaintext to 127.0.0.1:backend_port
// (or, with port 0, reads until the client goes away). The destructor unblocks and joins.
class TlsTestServer {
 public:
  TlsTestServer(const Identity& identity, uint16_t backend_port) : backend_port_(backend_port) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, identity.cert);
    SSL_CTX_use_PrivateKey(ctx_, identity.key);
    listen_fd_ = listen_loopback(&port_);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~TlsTestServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    thread_.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_; }
  std::string server_name() {
    std::lock_guard lock(mutex_);
    return server_name_;
  }

 private:
  void track(int fd, bool add) {
    std::lock_guard lock(mutex_);
    if (add)
      open_fds_.push_back(fd);
    else
      open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  }

  void accept_loop() {
    while (!stopping_) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      track(fd, true);
      serve(fd);
      track(fd, false);
      close(fd);
    }
  }

  void serve(int fd) {
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      handshakes_++;
      const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      {
        std::lock_guard lock(mutex_);
        server_name_ = sni ? sni : "";
      }
      int backend = backend_port_ ? connect_loopback(backend_port_) : -1;
      if (backend >= 0) {
        track(backend, true);
        relay(ssl, fd, backend);
        track(backend, false);
        close(backend);
      } else {
        char buffer[4096];
        while (SSL_read(ssl, buffer, sizeof buffer) > 0) {
        }
      }
    }
    SSL_free(ssl);
    ERR_clear_error();
  }

  void relay(SSL* ssl, int fd, int backend) {
    char buffer[16384];
    bool client_open = true;
    while (!stopping_) {
      pollfd p[2] = {{client_open ? fd : -1, POLLIN, 0}, {backend, POLLIN, 0}};
      bool pending = client_open && SSL_pending(ssl) > 0;
      if (!pending && poll(p, 2, 100) < 0) return;
      if (pending || p[0].revents) {
        int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n > 0) {
          if (!send_all(backend, buffer, static_cast<size_t>(n))) return;
        } else {
          client_open = false;  // close_notify (or an error): pass the half-close on
          shutdown(backend, SHUT_WR);
        }
      }
      if (p[1].revents) {
        ssize_t n = recv(backend, buffer, sizeof buffer, 0);
        if (n <= 0) {
          SSL_shutdown(ssl);
          return;
        }
        if (SSL_write(ssl, buffer, static_cast<int>(n)) <= 0) return;
      }
    }
  }

  SSL_CTX* ctx_;
  uint16_t backend_port_;
  uint16_t port_ = 0;
  int listen_fd_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::string server_name_;
};

// ---- The session on its own thread ------------------------------------------------------------

TestConfig rtmps_config(uint16_t port, std::string host = "127.0.0.1",
                        uint32_t flags = G_TLS_CERTIFICATE_VALIDATE_ALL, bool with_ca = true) {
  TestConfig c;
  c.scheme = "rtmps";
  c.host = std::move(host);
  c.port = port;
  c.application = "live";
  c.stream = "x";
  c.tc_url = "rtmps://" + c.host + "/live";
  c.timeout_ms = 5000;
  c.tls_validation_flags = flags;
  if (with_ca) c.tls_ca_file = pki().ca_file;
  return c;
}

rtmp::Message video(uint32_t index, size_t size) {
  rtmp::Message m;
  m.type = 9;
  m.chunk_stream = rtmp::csid::kVideo;
  m.timestamp = index * 40;
  m.payload.resize(size);
  for (size_t i = 0; i < size; i++) m.payload[i] = static_cast<uint8_t>(index * 7 + i);
  return m;
}

// A scripted RTMP server behind a TLS server with `identity`.
struct TlsRtmpServer {
  FakeRtmpServer rtmp;
  TlsTestServer tls;
  TlsRtmpServer(const Identity& identity, FakeRtmpServer::Handler handler)
      : rtmp(std::move(handler)), tls(identity, rtmp.port()) {}
};

FakeRtmpServer::Handler accept_publishing_then_wait() {
  return [](FakeConnection& c) {
    if (c.accept_until_publishing()) c.read_until_closed(10000);
  };
}

// Runs a publisher against `identity` and returns the error (kNone if it reached publishing).
SessionError publish_against(const Identity& identity, TestConfig config) {
  TlsRtmpServer server(identity, accept_publishing_then_wait());
  config.port = server.tls.port();
  Running r(std::move(config));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (SteadyClock::now() < deadline) {
    State s = r.session.state();
    if (s == State::kPublishing) return {};
    if (s == State::kBroken) return r.recorder.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return SessionError{ErrorKind::kNone, State::kIdle, "neither publishing nor broken", {}};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// ---- Certificate checks -----------------------------------------------------------------------

TEST(TlsCertificate, TrustedCaAndMatchingIpReachPublishing) {
  SessionError e = publish_against(pki().server, rtmps_config(0));
  EXPECT_EQ(e.kind, ErrorKind::kNone) << e.message;
  EXPECT_TRUE(e.message.empty()) << e.message;
}

TEST(TlsCertificate, HostNameIsSentAsSniAndChecked) {
  TlsRtmpServer server(pki().server, accept_publishing_then_wait());
  Running r(rtmps_config(server.tls.port(), "localhost"));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  EXPECT_EQ(server.tls.server_name(), "localhost");
}

TEST(TlsCertificate, NoSniForAnIpLiteral) {
  TlsRtmpServer server(pki().server, accept_publishing_then_wait());
  Running r(rtmps_config(server.tls.port()));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  EXPECT_EQ(server.tls.server_name(), "");
}

TEST(TlsCertificate, SelfSignedIsRejectedByDefault) {
  SessionError e = publish_against(
      pki().self_signed, rtmps_config(0, "127.0.0.1", G_TLS_CERTIFICATE_VALIDATE_ALL, false));
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "TLS certificate of 127.0.0.1 not trusted")) << e.message;
  EXPECT_TRUE(contains(e.message, "self-signed")) << e.message;
  EXPECT_TRUE(contains(e.message, "tls-ca-file")) << e.message;
}

TEST(TlsCertificate, UnknownCaIsRejectedWithoutTheCaFile) {
  SessionError e = publish_against(
      pki().server, rtmps_config(0, "127.0.0.1", G_TLS_CERTIFICATE_VALIDATE_ALL, false));
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "(unknown CA)")) << e.message;
}

TEST(TlsCertificate, NoFlagsAcceptAnything) {
  SessionError e = publish_against(pki().self_signed_other, rtmps_config(0, "localhost", 0, false));
  EXPECT_EQ(e.kind, ErrorKind::kNone) << e.message;
}

TEST(TlsCertificate, WrongHostIsRejectedByDefault) {
  SessionError e = publish_against(pki().other_host, rtmps_config(0, "localhost"));
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "TLS certificate is for 'other.example', not 'localhost'"))
      << e.message;
  EXPECT_FALSE(contains(e.message, "not trusted")) << e.message;
}

TEST(TlsCertificate, WrongHostIsAcceptedWhenFlagsExcludeBadIdentity) {
  SessionError e = publish_against(pki().other_host, rtmps_config(0, "localhost", kAllButIdentity));
  EXPECT_EQ(e.kind, ErrorKind::kNone) << e.message;
}

TEST(TlsCertificate, WrongHostIsStillCaughtWhenAnUnknownCaIsAllowed) {
  // OpenSSL stops at the first problem unless told to go on: the unknown CA must not hide the
  // wrong host.
  SessionError e = publish_against(pki().self_signed_other,
                                   rtmps_config(0, "localhost", kAllButUnknownCa, false));
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "is for 'other.example'")) << e.message;
  EXPECT_FALSE(contains(e.message, "not trusted")) << e.message;
}

TEST(TlsCertificate, ExpiredIsRejectedUnlessAllowed) {
  SessionError e = publish_against(pki().expired, rtmps_config(0));
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "has expired")) << e.message;
  e = publish_against(
      pki().expired,
      rtmps_config(0, "127.0.0.1", G_TLS_CERTIFICATE_VALIDATE_ALL & ~G_TLS_CERTIFICATE_EXPIRED));
  EXPECT_EQ(e.kind, ErrorKind::kNone) << e.message;
}

TEST(TlsCertificate, UnreadableCaFileIsASettingsError) {
  TestConfig c = rtmps_config(0);
  c.tls_ca_file = pki().dir + "/missing.pem";
  SessionError e = publish_against(pki().server, c);
  EXPECT_EQ(e.kind, ErrorKind::kBadLocation);
  EXPECT_TRUE(contains(e.message, "missing.pem")) << e.message;
}

// ---- Handshake failures, cancellation, deadline ------------------------------------------------

TEST(TlsHandshake, PlainRtmpServerIsATlsError) {
  // Answers the first byte with S0+S1, like servers that do not wait for all of C1.
  FakeRtmpServer server([](FakeConnection& c) {
    if (!c.read_raw(1, 5000)) return;
    rtmp::Bytes s0s1(1537, 0);
    s0s1[0] = 3;
    c.send_raw(rtmp::ByteView(s0s1.data(), s0s1.size()));
    c.read_raw(100000, 5000);
  });
  Running r(rtmps_config(server.port()));
  SessionError e = r.join_error();
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "TLS handshake with 127.0.0.1")) << e.message;
  EXPECT_TRUE(contains(e.message, "does the server speak TLS")) << e.message;
}

TEST(TlsHandshake, ServerClosingDuringTheHandshakeIsATlsError) {
  FakeRtmpServer server([](FakeConnection& c) { c.read_raw(1, 5000); });
  Running r(rtmps_config(server.port()));
  SessionError e = r.join_error();
  EXPECT_EQ(e.kind, ErrorKind::kTls);
  EXPECT_TRUE(contains(e.message, "closed the connection during the TLS handshake")) << e.message;
}

// A TCP listener that takes the connection and the ClientHello and never answers.
class SilentTlsServer {
 public:
  SilentTlsServer() { fd_ = listen_loopback(&port_); }
  ~SilentTlsServer() {
    if (conn_ >= 0) close(conn_);
    close(fd_);
  }
  uint16_t port() const { return port_; }
  // True once a TLS ClientHello record has arrived.
  bool got_client_hello() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return false;
    conn_ = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    pollfd q{conn_, POLLIN, 0};
    uint8_t first = 0;
    return poll(&q, 1, 5000) == 1 && recv(conn_, &first, 1, 0) == 1 && first == 0x16;
  }

 private:
  int fd_;
  int conn_ = -1;
  uint16_t port_ = 0;
};

TEST(TlsHandshake, CancelWhileTheServerDoesNotAnswer) {
  SilentTlsServer silent;
  Running r(rtmps_config(silent.port(), "127.0.0.1", G_TLS_CERTIFICATE_VALIDATE_ALL, true));
  ASSERT_TRUE(silent.got_client_hello());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kNone);
}

TEST(TlsHandshake, TimeoutNamesTheTlsHandshake) {
  SilentTlsServer silent;
  TestConfig c = rtmps_config(silent.port());
  c.timeout_ms = 300;
  Running r(c);
  ASSERT_TRUE(silent.got_client_hello());
  SessionError e = r.join_error();
  EXPECT_EQ(e.kind, ErrorKind::kTimeout);
  EXPECT_TRUE(contains(e.message, "TLS handshake")) << e.message;
}

// ---- Media over TLS -----------------------------------------------------------------------------

TEST(TlsMedia, PublishedMediaArrivesIntactAndTheCloseIsClean) {
  constexpr uint32_t kCount = 300;
  std::vector<rtmp::Message> received;
  TlsRtmpServer server(pki().server, [&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    c.read_until_closed(20000);
    received = c.received();
  });
  Running r(rtmps_config(server.tls.port()));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  for (uint32_t i = 0; i < kCount; i++) ASSERT_TRUE(r.session.push_media(video(i, 9000 + i)));
  EXPECT_TRUE(r.session.finish()) << r.recorder.error().message;
  r.thread.join();
  ASSERT_TRUE(server.rtmp.wait_finished(1, 10000));
  std::vector<const rtmp::Message*> media;
  for (const auto& m : received)
    if (m.type == 9) media.push_back(&m);
  ASSERT_EQ(media.size(), kCount);
  for (uint32_t i = 0; i < kCount; i++) {
    EXPECT_EQ(media[i]->payload, video(i, 9000 + i).payload) << "message " << i;
    EXPECT_EQ(media[i]->timestamp, i * 40);
  }
}

TEST(TlsMedia, CancelWhileBlockedWritingToAPeerThatStoppedReading) {
  std::atomic<bool> release{false};
  TlsRtmpServer server(pki().server, [&](FakeConnection& c) {
    c.accept_until_publishing();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  TestConfig cfg = rtmps_config(server.tls.port());
  cfg.timeout_ms = 0;
  cfg.queue_bytes = 1 << 20;
  Running r(cfg);
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  std::atomic<bool> pusher_done{false};
  std::thread pusher([&] {
    for (uint32_t i = 0; r.session.push_media(video(i, 64 * 1024)); i++) {
    }
    pusher_done = true;
  });
  // Wait until the queue is full: TLS output and every socket buffer on the way are full too.
  auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (r.session.stats().queued_bytes < cfg.queue_bytes && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(pusher_done) << "the peer was expected to block us";
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  pusher.join();
  EXPECT_TRUE(pusher_done);
  release = true;
}

TEST(TlsMedia, PlayedMediaArrivesIntact) {
  constexpr uint32_t kCount = 200;
  TlsRtmpServer server(pki().server, [&](FakeConnection& c) {
    if (!c.accept_until_playing()) return;
    for (uint32_t i = 0; i < kCount; i++) {
      rtmp::Message m = video(i, 20000 + i);
      if (!c.send_media(9, m.timestamp, rtmp::ByteView(m.payload.data(), m.payload.size()))) return;
    }
    c.read_until_closed(10000);
  });
  TestConfig c = rtmps_config(server.tls.port());
  c.role = Role::kPlay;
  Running r(c);
  uint32_t i = 0;
  while (i < kCount) {
    rtmp::Message m;
    ASSERT_EQ(sessiontest::pull_one(r.session, &m, 10 * G_USEC_PER_SEC), PullResult::kMessage)
        << "message " << i << ": " << r.recorder.error().message;
    if (m.type != 9) continue;
    EXPECT_EQ(m.payload, video(i, 20000 + i).payload) << "message " << i;
    i++;
  }
}

// ---- The layer on its own, over an inner layer with a set-up of its own ------------------------

// Like a proxy negotiation: establish() must succeed (after a few calls) before any I/O.
class GatedTransport : public Transport {
 public:
  explicit GatedTransport(GSocket* socket) : tcp_(socket) {}
  IoResult establish() override {
    if (calls_until_open_ > 0) calls_until_open_--;
    return calls_until_open_ > 0 ? IoResult::would_block() : IoResult::ok(0);
  }
  std::string establishing_what() const override { return "the gate"; }
  IoResult read(uint8_t* data, size_t size) override {
    if (calls_until_open_ > 0) return IoResult::error(ErrorKind::kProtocol, "read before open");
    return tcp_.read(data, size);
  }
  IoResult write(const GOutputVector* vectors, size_t count) override {
    if (calls_until_open_ > 0) return IoResult::error(ErrorKind::kProtocol, "write before open");
    return tcp_.write(vectors, count);
  }
  void shutdown_write() override { tcp_.shutdown_write(); }
  uint64_t buffered_output() const override { return tcp_.buffered_output(); }
  GSocket* socket() const override { return tcp_.socket(); }
  std::string describe() const override { return "gated"; }

 private:
  TcpTransport tcp_;
  int calls_until_open_ = 3;
};

TEST(TlsLayer, EstablishesTheInnerLayerFirst) {
  TlsTestServer server(pki().server, 0);
  GError* error = nullptr;
  GSocket* socket = g_socket_new_from_fd(connect_loopback(server.port()), &error);
  ASSERT_NE(socket, nullptr);
  g_socket_set_blocking(socket, FALSE);
  TlsTransport tls(std::make_unique<GatedTransport>(socket),
                   *rtmps_config(server.port()).connection().tls);
  g_object_unref(socket);
  EXPECT_EQ(tls.establishing_what(), "the gate");
  IoResult r = tls.establish();
  for (int i = 0; i < 500 && r.status == IoStatus::kWouldBlock; i++) {
    g_socket_condition_timed_wait(tls.socket(), tls.wait_condition(), 10000, nullptr, nullptr);
    r = tls.establish();
  }
  ASSERT_EQ(r.status, IoStatus::kOk) << r.message;
  EXPECT_EQ(tls.certificate_problems(), 0u);
  EXPECT_EQ(tls.describe().rfind("gated + tls (TLSv1.", 0), 0u) << tls.describe();
  const char hello[] = "hello";
  GOutputVector v{hello, sizeof hello};
  EXPECT_EQ(tls.write(&v, 1).bytes, sizeof hello);
  EXPECT_EQ(tls.flush().status, IoStatus::kOk);
}
