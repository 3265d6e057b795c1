#include "session/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace rtmpsession {

EventLoop::EventLoop(int64_t batch_bound_us)
    : batch_bound_us_(batch_bound_us),
      context_(g_main_context_new()),
      fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      batcher_(batch_bound_us) {
  if (fd_ >= 0) fd_watch_.watch_fd(context_, fd_, G_IO_IN);
  tick_.create_timer(context_);
}

EventLoop::~EventLoop() {
  if (thread_) {
    quit_.store(true);
    g_main_context_wakeup(context_);
    g_thread_join(thread_);
  }
  fd_watch_.reset();
  tick_.reset();
  if (fd_ >= 0) close(fd_);
  g_main_context_unref(context_);
}

void EventLoop::attach(LoopSlot* slot) {
  {
    std::lock_guard lock(mutex_);
    slot->attached_ = true;
  }
  clients_.fetch_add(1);
  wake(slot, true);
}

void EventLoop::detach(LoopSlot* slot) {
  std::lock_guard lock(mutex_);
  if (!slot->attached_) return;
  slot->attached_ = false;
  if (slot->queued_) std::erase(pending_, slot);
  slot->queued_ = false;
  // A client detached while a batch runs (by an earlier client of the batch) is skipped.
  std::replace(batch_.begin(), batch_.end(), slot, static_cast<LoopSlot*>(nullptr));
  clients_.fetch_sub(1);
}

void EventLoop::wake(LoopSlot* slot, bool urgent) {
  std::lock_guard lock(mutex_);
  if (!slot->attached_) return;
  if (!slot->queued_) {
    slot->queued_ = true;
    pending_.push_back(slot);
  }
  if (batcher_.on_wake(urgent)) signal_locked();
}

void EventLoop::defer(LoopSlot* slot) {
  int64_t tick;
  {
    std::lock_guard lock(mutex_);
    if (!slot->attached_) return;
    if (!slot->queued_) {
      slot->queued_ = true;
      pending_.push_back(slot);
    }
    tick = batcher_.on_defer(g_get_monotonic_time());
  }
  if (tick) tick_.arm(tick);
}

void EventLoop::signal_locked() {
  if (fd_ < 0) {
    g_main_context_wakeup(context_);  // no eventfd: the tick below still finds the client
    tick_.arm(0);
    return;
  }
  uint64_t one = 1;
  ssize_t r = write(fd_, &one, sizeof one);
  (void)r;  // a full counter already means "wake up"
}

// Runs every client woken since the last dispatch (from the eventfd watch or the tick).
void EventLoop::dispatch() {
  int64_t next_tick;
  {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0 && batcher_.signalled()) {  // a tick without a signal has nothing to read
      uint64_t count;
      ssize_t r = read(fd_, &count, sizeof count);
      (void)r;
    }
    batch_.swap(pending_);
    for (LoopSlot* s : batch_) s->queued_ = false;
    next_tick = batcher_.on_batch(g_get_monotonic_time(), !batch_.empty());
  }
  tick_.arm(next_tick ? next_tick : -1);
  // batch_ is read under the mutex: detach() from a client of this batch clears its entry.
  for (size_t i = 0;; i++) {
    LoopClient* client = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (i >= batch_.size()) {
        batch_.clear();
        break;
      }
      if (batch_[i]) client = batch_[i]->client_;
    }
    if (client) client->on_loop_wake();
  }
}

gpointer EventLoop::thread_main(gpointer data) {
  auto* self = static_cast<EventLoop*>(data);
  g_main_context_push_thread_default(self->context_);
  while (!self->quit_.load()) g_main_context_iteration(self->context_, TRUE);
  g_main_context_pop_thread_default(self->context_);
  return nullptr;
}

void EventLoop::start_thread(const char* name) {
  thread_ = g_thread_new(name, &EventLoop::thread_main, this);
}

void EventLoop::run_until(const std::function<bool()>& done) {
  g_main_context_push_thread_default(context_);
  while (!done()) g_main_context_iteration(context_, TRUE);
  g_main_context_pop_thread_default(context_);
}

LoopPool::LoopPool() : max_loops_(std::max(1u, g_get_num_processors())) {
  if (const char* env = std::getenv("RTMP_SESSION_LOOPS")) {
    int n = std::atoi(env);
    if (n > 0) max_loops_ = static_cast<size_t>(n);
  }
}

LoopPool& LoopPool::shared() {
  // Never destroyed: its threads may still run sessions while the process exits.
  static LoopPool* pool = new LoopPool();
  return *pool;
}

EventLoop& LoopPool::pick(int64_t batch_bound_us) {
  std::lock_guard lock(mutex_);
  EventLoop* least = nullptr;
  size_t with_bound = 0;
  for (auto& l : loops_) {
    if (l->batch_bound_us() != batch_bound_us) continue;
    if (l->clients() == 0) return *l;
    with_bound++;
    if (!least || l->clients() < least->clients()) least = l.get();
  }
  if (least && with_bound >= max_loops_) return *least;
  loops_.push_back(std::make_unique<EventLoop>(batch_bound_us));
  std::string name = "rtmp-loop-" + std::to_string(loops_.size());
  loops_.back()->start_thread(name.c_str());
  return *loops_.back();
}

}  // namespace rtmpsession
