#include "projections/read_models.h"

namespace kakitome {

ReadModels::ReadModels(const EventStore& store, const workflow::WorkflowConfig& config,
                       std::function<std::int64_t()> clock_ms, std::uint64_t fold_slice_events)
    : store_(store),
      fold_slice_events_(std::max<std::uint64_t>(fold_slice_events, 1)),
      clock_ms_(std::move(clock_ms)),
      queue_(config),
      disclosures_(store),
      queue_runner_(store, queue_),
      directory_runner_(store, directory_),
      downloads_runner_(store, downloads_),
      inbox_runner_(store, inbox_),
      incidents_runner_(store, incidents_) {}

Status ReadModels::load() {
    KAKITOME_RETURN_IF_ERROR(queue_runner_.load());
    KAKITOME_RETURN_IF_ERROR(directory_runner_.load());
    KAKITOME_RETURN_IF_ERROR(downloads_runner_.load());
    {
        std::lock_guard lock(inbox_mutex_);
        KAKITOME_RETURN_IF_ERROR(inbox_runner_.load());
        KAKITOME_RETURN_IF_ERROR(incidents_runner_.load());
    }
    note_folded_through();
    return Status::ok();
}

void ReadModels::note_folded_through() {
    const Seq least = std::min({queue_runner_.position(), directory_runner_.position(),
                                downloads_runner_.position(), inbox_runner_.position(),
                                incidents_runner_.position(), disclosures_.position()});
    folded_through_.store(least.value, std::memory_order_release);
}

Status ReadModels::fold_one(
    int number, const std::function<Status(const std::function<void(Seq, Seq)>&)>& fold) {
    folding_position_.store(0, std::memory_order_relaxed);
    folding_read_model_.store(number, std::memory_order_release);
    return fold([this](Seq position, Seq) {
        folding_position_.store(position.value, std::memory_order_relaxed);
    });
}

ReadModels::FoldProgress ReadModels::fold_progress() const {
    return {folding_read_model_.load(std::memory_order_acquire), 6,
            Seq{folding_position_.load(std::memory_order_relaxed)}};
}

Status ReadModels::catch_up() {
    struct Done {
        std::atomic<int>& folding;
        ~Done() { folding.store(0, std::memory_order_release); }
    } done{folding_read_model_};
    const Seq head = store_.head();
    auto runner = [this, head](ProjectionRunner& each) {
        return [this, head, &each](const std::function<void(Seq, Seq)>& progress) {
            return fold_in_slices(
                head, [&each] { return each.position(); },
                [&each, &progress](Seq until) { return each.catch_up(until, progress); });
        };
    };
    KAKITOME_RETURN_IF_ERROR(fold_one(1, runner(queue_runner_)));
    KAKITOME_RETURN_IF_ERROR(fold_one(2, runner(directory_runner_)));
    KAKITOME_RETURN_IF_ERROR(fold_one(3, [this, head](const std::function<void(Seq, Seq)>&) {
        const Status folded = fold_in_slices(
            head, [this] { return disclosures_.position(); },
            [this](Seq until) { return disclosures_.catch_up(until); });
        if (!folded.is_ok()) return folded;
        // A bulk load that reached the head ends in a later pass, once compaction has shrunk
        // level 0; with no new event that pass folds nothing, so it is asked here.
        return disclosures_.bulk_loading() ? disclosures_.catch_up(head) : Status::ok();
    }));
    KAKITOME_RETURN_IF_ERROR(fold_one(4, runner(downloads_runner_)));
    {
        std::lock_guard lock(inbox_mutex_);
        KAKITOME_RETURN_IF_ERROR(fold_one(5, runner(inbox_runner_)));
        KAKITOME_RETURN_IF_ERROR(fold_one(6, runner(incidents_runner_)));
    }
    publish();
    note_folded_through();
    return Status::ok();
}

Status ReadModels::fold_in_slices(Seq head, const std::function<Seq()>& position,
                                  const std::function<Status(Seq until)>& fold) const {
    for (Seq from = position(); from.value < head.value;) {
        if (stop_requested_.load(std::memory_order_acquire))
            return Status::unavailable("stopping: the read models folded through event " +
                                       std::to_string(from.value) + " of " +
                                       std::to_string(head.value) + "; the next start goes on");
        KAKITOME_RETURN_IF_ERROR(fold(Seq{std::min(head.value, from.value + fold_slice_events_)}));
        const Seq reached = position();
        if (reached.value <= from.value) break;  // nothing more to fold (a read-only store)
        from = reached;
    }
    return Status::ok();
}

void ReadModels::publish() {
    // A new snapshot only when the queue moved, or every 10 s so that overdue flags follow the
    // clock; readers cache pages per snapshot.
    const std::int64_t now = clock_ms_();
    if (published_position_ == queue_runner_.position() && now - published_at_ms_ < 10'000 &&
        published_at_ms_ != 0)
        return;
    published_position_ = queue_runner_.position();
    published_at_ms_ = now;
    auto entries = std::make_shared<const std::vector<QueueEntry>>(queue_.entries(now));
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(entries);
}

std::vector<InboxEntry> ReadModels::inbox() const {
    std::lock_guard lock(inbox_mutex_);
    return inbox_.entries();
}

std::vector<std::string> ReadModels::incidents() const {
    std::lock_guard lock(inbox_mutex_);
    return incidents_.newest_first();
}

std::shared_ptr<const std::vector<QueueEntry>> ReadModels::queue_snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

}  // namespace kakitome
