// Resolves a host and opens a TCP connection to the first address that accepts, asynchronously on
// the session's loop thread's GMainContext. Every step has a timeout and stops at once when
// cancelled.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>
#include <vector>

#include "rtmp/errors.hpp"

namespace rtmpsession {

using rtmp::ErrorKind;

class TcpConnector {
 public:
  enum class Phase { kResolving, kConnecting };
  struct Callbacks {
    std::function<void(Phase)> on_phase;         // resolving the name, then connecting
    std::function<void(GSocket*)> on_connected;  // takes a new reference
    std::function<void(ErrorKind, std::string)> on_failed;
  };

  TcpConnector(GMainContext* context, std::string host, uint16_t port, unsigned timeout_ms,
               Callbacks callbacks);
  ~TcpConnector();
  TcpConnector(const TcpConnector&) = delete;
  TcpConnector& operator=(const TcpConnector&) = delete;

  void start();
  // Stops whatever is under way; no callback is made afterwards. Waits for nothing.
  void cancel();
  // True while an asynchronous resolver call has not called back yet (the owner must keep
  // iterating the context until this is false before destroying the connector).
  bool busy() const { return resolving_; }

 private:
  static void on_resolved(GObject* source, GAsyncResult* result, gpointer self);
  static gboolean on_writable(GSocket* socket, GIOCondition condition, gpointer self);
  static gboolean on_timeout(gpointer self);
  void connect_next();
  void finish_attempt(GError* error);
  void fail(ErrorKind kind, std::string message);
  void arm_timer();
  void clear_attempt();
  std::string where() const;

  GMainContext* context_;
  std::string host_;
  uint16_t port_;
  unsigned timeout_ms_;
  Callbacks callbacks_;
  GCancellable* cancellable_;
  std::vector<GInetAddress*> addresses_;
  size_t next_address_ = 0;
  GSocket* socket_ = nullptr;
  GSource* io_source_ = nullptr;
  GSource* timer_ = nullptr;
  bool resolving_ = false;
  bool done_ = false;
  ErrorKind first_error_kind_ = ErrorKind::kNone;
  std::string first_error_;
};

}  // namespace rtmpsession
