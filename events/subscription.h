// Subscription: catch-up from any seq, then live, with a bounded buffer.
//
// Pull-based by design: the subscriber asks for the next event and the subscription reads from
// the store at most `buffer_capacity` events at a time. A slow subscriber therefore never slows
// writers and never holds more than its buffer in memory; it simply falls behind and catches up
// from disk (back-pressure without dropping events). Not thread-safe: one consumer per object;
// cancel() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <optional>

#include "events/event_store.h"

namespace kakitome {

class Subscription {
  public:
    // Delivers events with seq >= from, in order, without gaps or repeats.
    Subscription(const EventStore& store, Seq from, std::size_t buffer_capacity);

    // The next event; std::nullopt when none arrived within the timeout.
    // Fails with unavailable after cancel(), or with the store's error.
    Result<std::optional<RecordedEvent>> next(std::chrono::milliseconds timeout);

    // Seq of the last event delivered (Seq{from - 1} before the first).
    Seq position() const { return Seq{next_seq_ - 1}; }
    std::size_t buffered() const { return buffer_.size(); }
    void cancel();

  private:
    const EventStore& store_;
    std::uint64_t next_seq_;
    std::size_t capacity_;
    std::deque<RecordedEvent> buffer_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace kakitome
