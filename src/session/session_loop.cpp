// Session: how it attaches to an event loop, begins, tears down and leaves it.
#include "session/session.hpp"

namespace rtmpsession {

namespace {

constexpr int64_t kTeardownPollUs = 2'000;  // while a cancelled resolver call has not returned

}  // namespace

void Session::wake(bool urgent) {
  std::lock_guard lock(loop_mutex_);
  if (loop_) loop_->wake(&slot_, urgent);
}

void Session::defer() {
  std::lock_guard lock(loop_mutex_);
  if (loop_) loop_->defer(&slot_);
}

void Session::start(EventLoop& loop) {
  {
    std::lock_guard lock(loop_mutex_);
    if (ever_started_) return;
    ever_started_ = true;
    loop_ = &loop;
  }
  loop.attach(&slot_);  // runs on_wake() on the loop's thread, which begins
}

void Session::run() {
  EventLoop loop(batch_bound_us());
  start(loop);
  loop.run_until([this] {
    std::lock_guard lock(loop_mutex_);
    return loop_ == nullptr;
  });
}

void Session::wait_detached() {
  {
    std::lock_guard lock(loop_mutex_);
    if (!ever_started_) return;
  }
  lifecycle_.wait_detached();
}

// The first wake-up on the loop's thread.
void Session::begin() {
  begun_ = true;
  context_ = loop_->context();  // loop_ changes only on this thread (detach)
  timer_.create_timer(context_);
  if (!cancel_requested()) start_link();
}

// Once ended or cancelled: stops everything on this thread, waits (on later turns) for pending
// resolver calls, then leaves the loop. After lifecycle_.detach() the owner may destroy this.
void Session::teardown() {
  retire_link();  // keeps the connection's counters for the final stats
  collect_retired_links();
  if (!retired_links_.empty()) {
    tearing_down_ = true;
    timer_.arm(g_get_monotonic_time() + kTeardownPollUs);
    return;
  }
  timer_.reset();
  publish_stats();
  if (!lifecycle_.ended()) close_done("cancelled");  // not an error
  {
    std::lock_guard lock(loop_mutex_);
    loop_->detach(&slot_);
    loop_ = nullptr;
  }
  context_ = nullptr;
  lifecycle_.detach();
}

void Session::on_wake() {
  if (!begun_) begin();
  collect_retired_links();
  if (cancel_requested() || lifecycle_.ended() || tearing_down_) {
    teardown();
    return;
  }
  if (connection_.role() == Role::kPlay) {
    run_play_requests();
    update_reading();
    if (read_deferred_) {
      read_deferred_ = false;
      if (link_) link_->read_deferred();
    }
  } else {
    if (timed_round_) {
      timed_round_ = false;
      publisher_.begin_timed_round();
    }
    apply_publish_settings();
    drain();
  }
  rearm();
}

}  // namespace rtmpsession
