// One attached GSource, owned: a socket or fd watch, or a timer with a ready time. The callback
// is fixed at construction, so a callback may re-arm or reset its own source safely. Destroying
// the wrapper (or reset()) detaches the source; nothing is called afterwards.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>

namespace rtmpsession {

class Source {
 public:
  explicit Source(std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {}
  ~Source() { reset(); }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Calls back whenever `condition` holds on the socket (replacing any earlier source).
  void watch_socket(GMainContext* context, GSocket* socket, GIOCondition condition);
  // Calls back whenever `condition` holds on the file descriptor.
  void watch_fd(GMainContext* context, int fd, GIOCondition condition);
  // A timer: calls back once when the monotonic clock reaches arm()'s time. Created disarmed.
  void create_timer(GMainContext* context);
  // Timers: fire at ready_time_us (g_get_monotonic_time() scale); -1 disarms.
  void arm(int64_t ready_time_us);
  int64_t armed_at() const;  // -1 when disarmed (or not a timer)

  void reset();
  bool active() const { return source_ != nullptr; }

 private:
  static gboolean on_socket(GSocket*, GIOCondition, gpointer self);
  static gboolean on_fd(gint, GIOCondition, gpointer self);
  static gboolean on_timer(gpointer self);
  void attach(GMainContext* context, GSource* source, GSourceFunc func);

  std::function<void()> on_ready_;
  GSource* source_ = nullptr;
};

}  // namespace rtmpsession
