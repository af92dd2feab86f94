// ReadModels: the stored projections the API and the command line read — the queue, the
// directory, the downloads, the inbox, the incident list and the disclosure index — kept
// current as one follower
// (events/follower.h). After each catch-up the queue is published as an immutable snapshot
// (overdue judged then) for the API's I/O threads to page through.
// catch_up() and load() from one thread (the worker's); queue_snapshot() from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/workflow/application_records.h"
#include "engine/workflow/workflow_config.h"
#include "events/event_store.h"
#include "events/follower.h"
#include "projections/directory_projection.h"
#include "projections/disclosure_index.h"
#include "projections/downloads_projection.h"
#include "projections/inbox_projection.h"
#include "projections/incident_list.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome {

// Also the application records the timers fire from: the queue's, caught up alone, so that a read
// model failing elsewhere stops neither the timers nor the mail.
class ReadModels : public Follower, public workflow::ApplicationRecords {
  public:
    // `fold_slice_events`: how many events a catch-up folds between two looks for a stop.
    ReadModels(const EventStore& store, const workflow::WorkflowConfig& config,
               std::function<std::int64_t()> clock_ms,
               std::uint64_t fold_slice_events = kFoldSliceEvents);

    // Loads the stored rows; call once before the first catch_up().
    Status load();
    std::string name() const override { return "read models"; }
    Seq position() const override { return queue_runner_.position(); }
    Status catch_up() override;
    // The seq through which every read model has folded (the least of their positions), from
    // any thread. A server answers from its read models only once they have folded what the log
    // held when it started (a first start on a long log folds for minutes; it listens meanwhile).
    Seq folded_through() const { return Seq{folded_through_.load(std::memory_order_acquire)}; }
    // How far catch_up() is, from any thread: "read model 2 of 6, at event N" while it folds
    // (the position is the last page folded; 0 for the disclosure index, which does not say).
    struct FoldProgress {
        int read_model = 0;  // 1-based; 0 when no catch_up() is running
        int read_models = 6;
        Seq position{0};
    };
    FoldProgress fold_progress() const;
    // From any thread, once, when the process stops: a catch_up() running or started later ends
    // at its next slice of fold_slice_events with Status::unavailable, everything folded
    // so far stored (the next start goes on from there). A first fold of a long log takes
    // minutes; a stopping server is not kept waiting for it. Const: it changes no read model.
    void request_stop() const { stop_requested_.store(true, std::memory_order_release); }
    static constexpr std::uint64_t kFoldSliceEvents = 50'000;

    Status catch_up_records() override { return queue_runner_.catch_up(); }
    void for_each_record(
        const std::function<void(const workflow::ApplicationRecord&)>& visit) const override {
        queue_.for_each_record(visit);
    }

    std::shared_ptr<const std::vector<QueueEntry>> queue_snapshot() const;
    const QueueProjection& queue() const { return queue_; }
    const DirectoryProjection& directory() const { return directory_; }
    const DownloadsProjection& downloads() const { return downloads_; }
    // Copied under a lock: the inbox is small and read from the API's threads.
    std::vector<InboxEntry> inbox() const;
    // Incident ids, newest first; copied under the same lock.
    std::vector<std::string> incidents() const;
    const DisclosureIndex& disclosures() const { return disclosures_; }

  private:
    void publish();
    void note_folded_through();
    // Runs one read model's catch-up as the `number`th of six, noting its pages' progress.
    Status fold_one(int number,
                    const std::function<Status(const std::function<void(Seq, Seq)>&)>& fold);
    // Folds `fold` (a catch-up to a given seq) in slices up to `head`, checking for a stop between.
    Status fold_in_slices(Seq head, const std::function<Seq()>& position,
                          const std::function<Status(Seq until)>& fold) const;
    const EventStore& store_;
    const std::uint64_t fold_slice_events_;
    mutable std::atomic<bool> stop_requested_{false};
    std::atomic<std::uint64_t> folded_through_{0};
    std::atomic<int> folding_read_model_{0};
    std::atomic<std::uint64_t> folding_position_{0};
    std::function<std::int64_t()> clock_ms_;
    QueueProjection queue_;
    DirectoryProjection directory_;
    DownloadsProjection downloads_;
    DisclosureIndex disclosures_;
    InboxProjection inbox_;
    IncidentListProjection incidents_;
    ProjectionRunner queue_runner_, directory_runner_, downloads_runner_, inbox_runner_,
        incidents_runner_;
    mutable std::mutex inbox_mutex_;  // the inbox's and the incident list's
    Seq published_position_{0};
    std::int64_t published_at_ms_ = 0;
    mutable std::mutex snapshot_mutex_;
    std::shared_ptr<const std::vector<QueueEntry>> snapshot_ =
        std::make_shared<std::vector<QueueEntry>>();
};

}  // namespace kakitome
