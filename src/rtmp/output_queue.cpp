#include "rtmp/output_queue.hpp"

#include <algorithm>
#include <utility>

namespace rtmp {

namespace {

// A copy block is not grown past this (a larger single append gets a block of its own size), so
// a long run of copied bytes does not keep one ever larger buffer alive.
constexpr size_t kCopyBlockLimit = 64 * 1024;
constexpr size_t kCopyBlockInitial = 4 * 1024;
// Storage of a released copy block up to this capacity is kept for the next one.
constexpr size_t kSpareLimit = 256 * 1024;

}  // namespace

OutputQueue::Handle OutputQueue::add_block(Bytes&& bytes) {
  blocks_.push_back(Block{std::move(bytes), nullptr, {}, 0});
  return first_block_ + blocks_.size() - 1;
}

OutputQueue::Handle OutputQueue::adopt(const PayloadOwner& owner, ByteView bytes) {
  blocks_.push_back(Block{Bytes(), owner, bytes, 0});
  return first_block_ + blocks_.size() - 1;
}

void OutputQueue::push_slice(Handle h, size_t offset, size_t size) {
  size_ += size;
  if (!slices_.empty()) {
    Slice& last = slices_.back();
    if (last.block == h && last.offset + last.size == offset) {
      last.size += size;
      return;
    }
  }
  slices_.push_back(Slice{h, offset, size});
  block(h).refs++;
}

void OutputQueue::append_copy(ByteView bytes) {
  if (bytes.empty()) return;
  if (copy_block_ != kNone) {
    const Bytes& b = block(copy_block_).bytes;
    if (b.size() + bytes.size() > kCopyBlockLimit) copy_block_ = kNone;  // start another
  }
  if (copy_block_ == kNone) {
    Bytes storage = std::move(spare_);
    spare_ = Bytes();
    storage.clear();
    storage.reserve(std::max(bytes.size(), kCopyBlockInitial));
    copy_block_ = add_block(std::move(storage));
  }
  Bytes& b = block(copy_block_).bytes;
  const size_t offset = b.size();
  b.insert(b.end(), bytes.begin(), bytes.end());
  push_slice(copy_block_, offset, bytes.size());
}

OutputQueue::Handle OutputQueue::adopt(Bytes&& payload) {
  return add_block(std::move(payload));
}

void OutputQueue::append_ref(Handle payload, size_t offset, size_t size) {
  if (size == 0) return;
  push_slice(payload, offset, size);
}

size_t OutputQueue::slices(ByteView* out, size_t max) const {
  size_t n = 0;
  for (auto it = slices_.begin(); it != slices_.end() && n < max; ++it, ++n)
    out[n] = ByteView(block(it->block).data() + it->offset, it->size);
  return n;
}

void OutputQueue::unref(Handle h) {
  Block& b = block(h);
  if (--b.refs > 0) return;
  if (h == copy_block_) copy_block_ = kNone;
  b.owner.reset();  // an external block's memory may go now
  // A released copy block's storage serves the next one; a payload's is freed.
  if (b.bytes.capacity() <= kSpareLimit && b.bytes.capacity() > spare_.capacity())
    spare_ = std::move(b.bytes);
  Bytes().swap(b.bytes);
}

void OutputQueue::drop_released_front() {
  while (!blocks_.empty() && blocks_.front().refs == 0 && first_block_ != copy_block_) {
    blocks_.pop_front();
    ++first_block_;
  }
}

void OutputQueue::consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Slice& s = slices_.front();
    const size_t take = std::min(n, s.size);
    s.offset += take;
    s.size -= take;
    n -= take;
    if (s.size > 0) break;
    const Handle h = s.block;
    slices_.pop_front();
    unref(h);
  }
  drop_released_front();
}

ByteView OutputQueue::linear() {
  if (slices_.size() > 1) {
    Bytes all;
    all.reserve(size_);
    for (const Slice& s : slices_) {
      const uint8_t* p = block(s.block).data() + s.offset;
      all.insert(all.end(), p, p + s.size);
    }
    clear();
    const size_t n = all.size();
    push_slice(add_block(std::move(all)), 0, n);
  }
  if (slices_.empty()) return {};
  const Slice& s = slices_.front();
  return ByteView(block(s.block).data() + s.offset, s.size);
}

void OutputQueue::clear() {
  first_block_ += blocks_.size();
  blocks_.clear();
  slices_.clear();
  copy_block_ = kNone;
  size_ = 0;
}

}  // namespace rtmp
