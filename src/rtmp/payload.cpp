#include "rtmp/payload.hpp"

#include <algorithm>
#include <cstring>

namespace rtmp {

namespace {

PayloadOwner own(Bytes&& bytes, ByteView* view) {
  auto held = std::make_shared<const Bytes>(std::move(bytes));
  *view = ByteView(held->data(), held->size());
  return held;
}

}  // namespace

Payload::Payload(Bytes&& owned) {
  if (owned.empty()) return;
  ByteView view;
  PayloadOwner owner = own(std::move(owned), &view);
  pieces_.push_back(Piece{std::move(owner), view});
  size_ = view.size();
}

void Payload::append(const PayloadOwner& owner, ByteView bytes) {
  if (bytes.empty()) return;
  size_ += bytes.size();
  if (!pieces_.empty()) {
    Piece& last = pieces_.back();
    if (last.owner == owner && last.bytes.data() + last.bytes.size() == bytes.data()) {
      last.bytes = ByteView(last.bytes.data(), last.bytes.size() + bytes.size());
      return;
    }
  }
  pieces_.push_back(Piece{owner, bytes});
}

void Payload::append_copy(ByteView bytes) {
  if (bytes.empty()) return;
  ByteView view;
  PayloadOwner owner = own(Bytes(bytes.begin(), bytes.end()), &view);
  pieces_.push_back(Piece{std::move(owner), view});
  size_ += view.size();
}

void Payload::prepend_copy(ByteView bytes) {
  if (bytes.empty()) return;
  ByteView view;
  PayloadOwner owner = own(Bytes(bytes.begin(), bytes.end()), &view);
  pieces_.insert(pieces_.begin(), Piece{std::move(owner), view});
  size_ += view.size();
}

ByteView Payload::front(size_t n, uint8_t* scratch) const {
  n = std::min(n, size_);
  if (n == 0) return {};
  if (pieces_.front().bytes.size() >= n) return pieces_.front().bytes.first(n);
  size_t got = 0;
  for (const Piece& p : pieces_) {
    size_t take = std::min(n - got, p.bytes.size());
    std::memcpy(scratch + got, p.bytes.data(), take);
    got += take;
    if (got == n) break;
  }
  return ByteView(scratch, n);
}

Bytes Payload::to_bytes() const {
  Bytes out;
  out.reserve(size_);
  for (const Piece& p : pieces_) out.insert(out.end(), p.bytes.begin(), p.bytes.end());
  return out;
}

}  // namespace rtmp
