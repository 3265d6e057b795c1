#include "transport/tcp_connector.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "util/strings.hpp"

namespace rtmpsession {

TcpConnector::TcpConnector(GMainContext* context, std::string host, uint16_t port,
                           unsigned timeout_ms, Callbacks callbacks)
    : context_(context),
      host_(std::move(host)),
      port_(port),
      timeout_ms_(timeout_ms),
      callbacks_(std::move(callbacks)),
      cancellable_(g_cancellable_new()) {}

TcpConnector::~TcpConnector() {
  cancel();
  for (auto* a : addresses_) g_object_unref(a);
  g_object_unref(cancellable_);
}

std::string TcpConnector::where() const {
  bool v6 = host_.find(':') != std::string::npos;
  return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

void TcpConnector::cancel() {
  done_ = true;
  g_cancellable_cancel(cancellable_);
  clear_attempt();
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
}

void TcpConnector::clear_attempt() {
  if (io_source_) {
    g_source_destroy(io_source_);
    g_source_unref(io_source_);
    io_source_ = nullptr;
  }
  if (socket_) {
    g_socket_close(socket_, nullptr);
    g_object_unref(socket_);
    socket_ = nullptr;
  }
}

void TcpConnector::arm_timer() {
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  if (timeout_ms_ == 0) return;
  timer_ = g_timeout_source_new(timeout_ms_);
  g_source_set_callback(timer_, &TcpConnector::on_timeout, this, nullptr);
  g_source_attach(timer_, context_);
}

void TcpConnector::fail(ErrorKind kind, std::string message) {
  cancel();
  callbacks_.on_failed(kind, std::move(message));
}

void TcpConnector::start() {
  callbacks_.on_phase(Phase::kResolving);
  if (GInetAddress* literal = g_inet_address_new_from_string(host_.c_str())) {
    addresses_.push_back(literal);
    connect_next();
    return;
  }
  arm_timer();
  resolving_ = true;
  GResolver* resolver = g_resolver_get_default();
  g_resolver_lookup_by_name_async(resolver, host_.c_str(), cancellable_, &TcpConnector::on_resolved,
                                  this);
  g_object_unref(resolver);
}

void TcpConnector::on_resolved(GObject* source, GAsyncResult* result, gpointer data) {
  auto* self = static_cast<TcpConnector*>(data);
  self->resolving_ = false;
  GError* error = nullptr;
  GList* list = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
  if (self->done_) {
    g_clear_error(&error);
    g_resolver_free_addresses(list);
    return;
  }
  if (!list) {
    std::string msg =
        "could not resolve host '" + self->host_ + "': " + (error ? error->message : "no address");
    g_clear_error(&error);
    self->fail(ErrorKind::kHostNotFound, std::move(msg));
    return;
  }
  for (GList* l = list; l; l = l->next)
    self->addresses_.push_back(G_INET_ADDRESS(g_object_ref(l->data)));
  g_resolver_free_addresses(list);
  self->connect_next();
}

void TcpConnector::connect_next() {
  clear_attempt();
  if (next_address_ >= addresses_.size()) {
    fail(first_error_kind_, first_error_);
    return;
  }
  if (next_address_ == 0) callbacks_.on_phase(Phase::kConnecting);
  GInetAddress* address = addresses_[next_address_++];
  GError* error = nullptr;
  socket_ = g_socket_new(g_inet_address_get_family(address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  if (!socket_) {
    finish_attempt(error);
    return;
  }
  g_socket_set_blocking(socket_, FALSE);
  GSocketAddress* sa = g_inet_socket_address_new(address, port_);
  gboolean ok = g_socket_connect(socket_, sa, nullptr, &error);
  g_object_unref(sa);
  if (ok) {
    finish_attempt(nullptr);
  } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
    g_clear_error(&error);
    arm_timer();
    io_source_ = g_socket_create_source(socket_, G_IO_OUT, nullptr);
    g_source_set_callback(io_source_, G_SOURCE_FUNC(&TcpConnector::on_writable), this, nullptr);
    g_source_attach(io_source_, context_);
  } else {
    finish_attempt(error);
  }
}

gboolean TcpConnector::on_writable(GSocket* socket, GIOCondition, gpointer data) {
  auto* self = static_cast<TcpConnector*>(data);
  GError* error = nullptr;
  if (g_socket_check_connect_result(socket, &error))
    self->finish_attempt(nullptr);
  else
    self->finish_attempt(error);
  return G_SOURCE_REMOVE;
}

// Ends the attempt on the current address: success hands the socket over, failure moves on.
void TcpConnector::finish_attempt(GError* error) {
  if (!error) {
    GSocket* s = socket_;
    socket_ = nullptr;
    cancel();
    int one = 1;
    g_socket_set_option(s, IPPROTO_TCP, TCP_NODELAY, one, nullptr);
    callbacks_.on_connected(s);
    g_object_unref(s);
    return;
  }
  if (first_error_kind_ == ErrorKind::kNone) {
    bool refused = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
    first_error_kind_ = refused ? ErrorKind::kConnectionRefused : ErrorKind::kConnectFailed;
    first_error_ = (refused ? "connection refused by " : "could not connect to ") + where() + ": " +
                   error->message;
  }
  g_error_free(error);
  connect_next();
}

gboolean TcpConnector::on_timeout(gpointer data) {
  auto* self = static_cast<TcpConnector*>(data);
  g_source_unref(self->timer_);
  self->timer_ = nullptr;
  std::string what =
      self->resolving_ ? "resolving host '" + self->host_ + "'" : "connecting to " + self->where();
  if (!self->resolving_ && self->next_address_ < self->addresses_.size()) {
    // This address did not answer in time; the next one gets a full timeout of its own.
    if (self->first_error_kind_ == ErrorKind::kNone) {
      self->first_error_kind_ = ErrorKind::kTimeout;
      self->first_error_ = "timed out after " + util::duration_text(self->timeout_ms_) + " " + what;
    }
    self->connect_next();
    return G_SOURCE_REMOVE;
  }
  self->fail(ErrorKind::kTimeout,
             "timed out after " + util::duration_text(self->timeout_ms_) + " " + what);
  return G_SOURCE_REMOVE;
}

}  // namespace rtmpsession
