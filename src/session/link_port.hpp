// The publisher's OutputPort on the session's current link (which a failing flush may retire).
#pragma once

#include <atomic>
#include <memory>

#include "session/link.hpp"
#include "session/publisher.hpp"
#include "session/session_types.hpp"

namespace rtmpsession {

// The publisher's view of the current link.
class LinkPort : public OutputPort {
 public:
  LinkPort(std::unique_ptr<Link>& link, const std::atomic<State>& state)
      : link_(link), state_(state) {}
  size_t pending() const override { return link_->client()->pending_output(); }
  uint64_t written() const override { return link_->client()->counters().bytes_out; }
  uint64_t delivered() const override {
    uint64_t written = this->written(), held = link_->unsent_below_client();
    return written > held ? written - held : 0;
  }
  void send(rtmp::MediaMessage&& m) override { link_->client()->send_media(std::move(m)); }
  bool flush() override {
    link_->flush();
    return link_ && state_.load() == State::kPublishing;
  }

 private:
  std::unique_ptr<Link>& link_;  // may be retired (and reset) by a failing flush
  const std::atomic<State>& state_;
};

}  // namespace rtmpsession
