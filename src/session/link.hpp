// One connection attempt of a session: TCP (TcpConnector), then the transport stack's set-up
// (proxy, TLS, tunnel), then the bytes between the transport and the protocol client
// (rtmp::ClientConnection). It owns the socket watches; the session owns the state machine and
// hears about everything through LinkObserver.
//
// A link is never destroyed from inside one of its callbacks: the session retire()s it (all
// watches stop, nothing is called any more) and destroys it later.
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>
#include <vector>

#include "config/connection.hpp"
#include "rtmp/client_connection.hpp"
#include "session/clock.hpp"
#include "session/glib_source.hpp"
#include "transport/tcp_connector.hpp"
#include "transport/transport.hpp"

namespace rtmpsession {

class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void on_link_phase(TcpConnector::Phase phase) = 0;  // resolving, then connecting
  // TCP is connected; the transport's set-up (if any) starts.
  virtual void on_link_connected() = 0;
  // The transport is ready and the protocol client has started (its handshake is out).
  virtual void on_link_established() = 0;
  // The client has events to take (after bytes were fed to it).
  virtual void on_client_events() = 0;
  // The server closed the connection (end of stream on the socket).
  virtual void on_peer_closed() = 0;
  // Everything the client had to send is out (after any flush that did not block).
  virtual void on_flushed() = 0;
  virtual void on_link_failed(ErrorKind kind, std::string message) = 0;
  // After every socket event the link handled: its wake-up time may have moved (an RTMPT poll
  // scheduled by a response that carried no RTMP bytes).
  virtual void on_link_io() = 0;
  // Read batching (set_read_batching()): the link stopped watching the socket; call
  // read_deferred() at the loop's next tick.
  virtual void on_read_deferred() = 0;
};

class Link {
 public:
  // `client_config` is the connection's, with this attempt's authentication answer in it.
  Link(GMainContext* context, const Clock& clock, const config::Connection& connection,
       rtmp::ClientConfig client_config, LinkObserver& observer, rtmp::Logger* logger);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void start();
  // Stops every watch and the connector; no observer call after this.
  void retire();
  // True while a resolver call has not called back yet (keep the link until it has).
  bool busy() const { return connector_ && connector_->busy(); }

  bool established() const { return established_; }
  // What the set-up is waiting for, for timeout messages ("the TLS handshake").
  std::string establishing_what() const;
  std::string transport_description() const;
  rtmp::ClientConnection* client() { return client_.get(); }
  const rtmp::ClientConnection* client() const { return client_.get(); }

  // Reads what the transport has and feeds it to the client (on_client_events() per read).
  void read();
  // Sends what the client has; watches for writability when the socket is full.
  void flush();
  // Stops or resumes reading from the socket (play flow control).
  void set_reading(bool reading);
  // Playing in real time: after a wake-up that read a little (less than a full buffer) and
  // emptied the socket, the link stops watching it and asks for a read at the next tick
  // (on_read_deferred()), so a trickling stream is read once per tick, not once per message.
  // A wake-up that reads a full buffer (a burst) or nothing goes back to watching.
  void set_read_batching(bool on) { batch_reads_ = on; }
  void read_deferred();
  // Caps the send rate of the TCP socket (0 = no cap), now and for the rest of the link.
  void set_peak_kbps(uint32_t kbps);
  // Bytes the client handed on that have not reached the server: held by the transport layers
  // (TLS records, RTMPT bytes waiting for their request) or by the kernel, not sent or sent and
  // not acknowledged (SIOCOUTQ on the TCP socket; 0 before it is connected).
  uint64_t unsent_below_client() const;
  // Keeps at most `bytes` unsent in the kernel (TCP_NOTSENT_LOWAT; 0 = no limit), so that media
  // waits in our queue, where the latency bound can see it and drop it.
  void limit_unsent(uint32_t bytes);
  // Half-closes the sending direction once everything was sent.
  void shutdown_write();
  // When the send direction has been blocked since (0 = not blocked).
  int64_t write_stall_since_us() const { return write_stall_since_us_; }
  // When the link must be woken without any socket event (0 = never): the transport's own
  // timers (RTMPT polls and request deadlines), and at once when a read stopped with decoded
  // bytes still in the transport. on_timer() does that work.
  int64_t next_wakeup_us() const;
  void on_timer(int64_t now_us);

 private:
  void on_connected(GSocket* socket);
  size_t read_some();  // the bytes it read
  void pace_reads(size_t bytes);
  void continue_establish();
  bool apply_pacing();
  void apply_unsent_limit();  // unsent_limit_ to the socket
  void start_client();
  void fail(ErrorKind kind, std::string message);
  uint32_t now_ms() const;

  GMainContext* context_;
  const Clock& clock_;
  const config::Connection& connection_;
  rtmp::ClientConfig client_config_;
  LinkObserver& observer_;
  rtmp::Logger* logger_;
  int64_t start_us_;
  std::unique_ptr<TcpConnector> connector_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<rtmp::ClientConnection> client_;
  bool established_ = false;
  bool retired_ = false;
  bool reading_ = true;
  bool in_read_ = false;
  bool read_more_ = false;  // a read stopped at its limit with bytes still buffered
  bool batch_reads_ = false;
  bool read_waiting_ = false;  // batching: not watching, read_deferred() is due
  int64_t write_stall_since_us_ = 0;
  uint32_t peak_kbps_ = 0;
  uint32_t unsent_limit_ = 0;  // TCP_NOTSENT_LOWAT, 0 = the kernel's default
  GSocket* socket_ = nullptr;  // the TCP socket at the bottom, once connected (not owned)
  // Each socket event ends with on_link_io() (unless the link was retired meanwhile).
  void after_io() {
    if (!retired_) observer_.on_link_io();
  }
  Source establish_watch_{[this] {
    continue_establish();
    after_io();
  }};
  Source read_watch_{[this] {
    read();
    after_io();
  }};
  Source write_watch_{[this] {
    flush();
    after_io();
  }};
};

}  // namespace rtmpsession
