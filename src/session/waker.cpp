#include "session/waker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace rtmpsession {

int Waker::open() {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fd_;
}

void Waker::wake() {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return;
  uint64_t one = 1;
  ssize_t r = write(fd_, &one, sizeof one);
  (void)r;  // a full counter already means "wake up"
}

void Waker::drain() {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return;
  uint64_t count;
  ssize_t r = read(fd_, &count, sizeof count);
  (void)r;
}

void Waker::close() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace rtmpsession
