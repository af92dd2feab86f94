#include "events/subscription.h"

#include <algorithm>

namespace kakitome {

Subscription::Subscription(const EventStore& store, Seq from, std::size_t buffer_capacity)
    : store_(store),
      next_seq_(std::max<std::uint64_t>(from.value, 1)),
      capacity_(std::max<std::size_t>(buffer_capacity, 1)) {}

Result<std::optional<RecordedEvent>> Subscription::next(std::chrono::milliseconds timeout) {
    if (cancelled_.load()) return Status::unavailable("subscription cancelled");
    if (buffer_.empty()) {
        const Seq delivered{next_seq_ - 1};
        if (store_.head() <= delivered && !store_.wait_for_head_beyond(delivered, timeout)) {
            if (cancelled_.load()) return Status::unavailable("subscription cancelled");
            return std::optional<RecordedEvent>{};
        }
        auto page = store_.read_all(Seq{next_seq_}, capacity_);
        if (!page.is_ok()) return page.status();
        for (auto& event : page.value()) buffer_.push_back(std::move(event));
        if (buffer_.empty()) return std::optional<RecordedEvent>{};
    }
    RecordedEvent event = std::move(buffer_.front());
    buffer_.pop_front();
    if (event.seq.value != next_seq_) {
        return Status::corruption("subscription expected seq " + std::to_string(next_seq_) +
                                  " but read " + std::to_string(event.seq.value));
    }
    ++next_seq_;
    return std::optional<RecordedEvent>(std::move(event));
}

void Subscription::cancel() {
    cancelled_.store(true);
    store_.wake_waiters();
}

}  // namespace kakitome
