#include "session/glib_source.hpp"

#include <glib-unix.h>

namespace rtmpsession {

namespace {

// A source that only has a ready time.
gboolean dispatch_ready_time(GSource* source, GSourceFunc callback, gpointer data) {
  g_source_set_ready_time(source, -1);  // one shot until armed again
  return callback(data);
}

GSourceFuncs ready_time_funcs = {nullptr, nullptr, dispatch_ready_time, nullptr, nullptr, nullptr};

}  // namespace

void Source::attach(GMainContext* context, GSource* source, GSourceFunc func) {
  reset();
  source_ = source;
  g_source_set_callback(source_, func, this, nullptr);
  // Nothing iterates the context from a callback. Without this GLib blocks the source for every
  // dispatch, and unblocking it signals the context's own wake-up fd: an extra poll() round and
  // two syscalls per dispatch.
  g_source_set_can_recurse(source_, TRUE);
  g_source_attach(source_, context);
}

void Source::watch_socket(GMainContext* context, GSocket* socket, GIOCondition condition) {
  attach(context, g_socket_create_source(socket, condition, nullptr),
         G_SOURCE_FUNC(&Source::on_socket));
}

void Source::watch_fd(GMainContext* context, int fd, GIOCondition condition) {
  attach(context, g_unix_fd_source_new(fd, condition), G_SOURCE_FUNC(&Source::on_fd));
}

void Source::create_timer(GMainContext* context) {
  GSource* s = g_source_new(&ready_time_funcs, sizeof(GSource));
  g_source_set_ready_time(s, -1);
  attach(context, s, &Source::on_timer);
}

void Source::arm(int64_t ready_time_us) {
  if (source_ && g_source_get_ready_time(source_) != ready_time_us)
    g_source_set_ready_time(source_, ready_time_us);
}

int64_t Source::armed_at() const {
  return source_ ? g_source_get_ready_time(source_) : -1;
}

void Source::reset() {
  if (!source_) return;
  g_source_destroy(source_);
  g_source_unref(source_);
  source_ = nullptr;
}

gboolean Source::on_socket(GSocket*, GIOCondition, gpointer self) {
  static_cast<Source*>(self)->on_ready_();
  return G_SOURCE_CONTINUE;
}

gboolean Source::on_fd(gint, GIOCondition, gpointer self) {
  static_cast<Source*>(self)->on_ready_();
  return G_SOURCE_CONTINUE;
}

gboolean Source::on_timer(gpointer self) {
  static_cast<Source*>(self)->on_ready_();
  return G_SOURCE_CONTINUE;
}

}  // namespace rtmpsession
