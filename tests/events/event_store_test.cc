// EventStore: appends, optimistic concurrency, reads, recovery, group commit under concurrency.
#include "events/event_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "events/test_store.h"
#include "replay/store_verifier.h"

namespace kakitome {
namespace {

using testing::event_of;
using testing::TestStore;

TEST(EventStore, AppendsAssignSeqsVersionsAndChain) {
    TestStore t;
    auto first = t.store->append("application-1", ExpectedVersion::no_stream(),
                                 {event_of("FormMailReceived"), event_of("PasswordMailReceived")});
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_EQ(first->first_seq, Seq{1});
    EXPECT_EQ(first->last_seq, Seq{2});
    EXPECT_EQ(first->stream_version, StreamVersion{2});
    auto second =
        t.store->append("application-2", ExpectedVersion::any(), {event_of("FormMailReceived")});
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->first_seq, Seq{3});
    EXPECT_EQ(second->stream_version, StreamVersion{1});

    auto all = t.store->read_all(Seq{1}, 100).value();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].prev_hash, Sha256Digest{});
    EXPECT_EQ(all[1].prev_hash, all[0].hash);
    EXPECT_EQ(all[2].prev_hash, all[1].hash);
    EXPECT_EQ(all[2].stream, "application-2");
    EXPECT_EQ(sha256(canonical_bytes(all[1])), all[1].hash);
    EXPECT_EQ(t.store->head(), Seq{3});
}

TEST(EventStore, ConflictIsTypedAndWritesNothing) {
    TestStore t;
    ASSERT_TRUE(t.store->append("s", ExpectedVersion::no_stream(), {event_of("A")}).is_ok());
    auto stale = t.store->append_with_expected_version("s", StreamVersion{0}, {event_of("B")});
    EXPECT_EQ(stale.status().code(), StatusCode::conflict);
    EXPECT_NE(stale.status().message().find("version 1"), std::string::npos);
    auto again = t.store->append("s", ExpectedVersion::no_stream(), {event_of("B")});
    EXPECT_EQ(again.status().code(), StatusCode::conflict);
    auto ahead = t.store->append_with_expected_version("s", StreamVersion{5}, {event_of("B")});
    EXPECT_EQ(ahead.status().code(), StatusCode::conflict);
    EXPECT_EQ(t.store->head(), Seq{1});
    EXPECT_EQ(t.store->stream_version("s").value(), StreamVersion{1});

    auto right = t.store->append_with_expected_version("s", StreamVersion{1}, {event_of("B")});
    ASSERT_TRUE(right.is_ok());
    EXPECT_EQ(right->first_seq, Seq{2});  // no gap left by the refused appends
}

TEST(EventStore, BadInputWritesNothing) {
    TestStore t;
    EXPECT_EQ(t.store->append("", ExpectedVersion::any(), {event_of("A")}).status().code(),
              StatusCode::invalid_argument);
    EXPECT_EQ(t.store->append(std::string(257, 's'), ExpectedVersion::any(), {event_of("A")})
                  .status()
                  .code(),
              StatusCode::invalid_argument);
    // One bad event in a batch refuses the whole batch: the good one is not written either.
    auto mixed = t.store->append("s", ExpectedVersion::any(),
                                 {event_of("Good"), event_of("Bad", "{\"a\":\"\xc3\x28\"}")});
    EXPECT_EQ(mixed.status().code(), StatusCode::invalid_argument);
    auto huge =
        t.store->append("s", ExpectedVersion::any(),
                        {event_of("Huge", "\"" + std::string(kMaxPayloadBytes + 1, 'x') + "\"")});
    EXPECT_EQ(huge.status().code(), StatusCode::resource_exhausted);
    EXPECT_EQ(t.store->append("s", ExpectedVersion::any(), {}).status().code(),
              StatusCode::invalid_argument);
    EXPECT_EQ(t.store->head(), Seq{0});
    EXPECT_TRUE(t.store->read_all(Seq{1}, 10).value().empty());
    EXPECT_EQ(t.store->stream_version("s").value(), StreamVersion{0});
}

TEST(EventStore, ListsTheStreamsWithAPrefixOnceEachWhateverTheirLength) {
    TestStore t;
    for (const char* stream : {"application-b", "application-a", "application-long-name", "apply",
                               "incident-1", "application-", "xapplication-c"}) {
        for (int version = 0; version < 3; ++version)
            ASSERT_TRUE(t.store->append(stream, ExpectedVersion::any(), {event_of("E")}).is_ok());
    }
    EXPECT_EQ(t.store->stream_names("application-").value(),
              (std::vector<std::string>{"application-", "application-a", "application-b",
                                        "application-long-name"}));
    EXPECT_EQ(t.store->stream_names("incident-").value(), std::vector<std::string>{"incident-1"});
    EXPECT_TRUE(t.store->stream_names("none-").value().empty());
    EXPECT_EQ(t.store->stream_names("").value().size(), 7u);
}

TEST(EventStore, ReadsStreamsForwardAndBackward) {
    TestStore t;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(
            t.store->append("a", ExpectedVersion::any(), {event_of("A" + std::to_string(i))})
                .is_ok());
        ASSERT_TRUE(
            t.store->append("ab", ExpectedVersion::any(), {event_of("B" + std::to_string(i))})
                .is_ok());
    }
    auto forward = t.store->read_stream_forward("a", StreamVersion{2}, 2).value();
    ASSERT_EQ(forward.size(), 2u);
    EXPECT_EQ(forward[0].type, "A1");
    EXPECT_EQ(forward[1].type, "A2");
    auto backward = t.store->read_stream_backward("a", StreamVersion{0}, 10).value();
    ASSERT_EQ(backward.size(), 5u);  // "ab" shares a textual prefix but is another stream
    EXPECT_EQ(backward[0].type, "A4");
    EXPECT_EQ(backward[4].type, "A0");
    auto from_three = t.store->read_stream_backward("a", StreamVersion{3}, 10).value();
    ASSERT_EQ(from_three.size(), 3u);
    EXPECT_EQ(from_three[0].version, StreamVersion{3});
    EXPECT_TRUE(t.store->read_stream_forward("missing", StreamVersion{1}, 10).value().empty());
    auto page = t.store->read_all(Seq{4}, 3).value();
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page[0].seq, Seq{4});
}

TEST(EventStore, ReopenContinuesTheChain) {
    TestStore t;
    ASSERT_TRUE(
        t.store->append("s", ExpectedVersion::any(), {event_of("A"), event_of("B")}).is_ok());
    const Sha256Digest head_hash = t.store->read_event(Seq{2}).value().hash;
    t.reopen();
    EXPECT_EQ(t.store->head(), Seq{2});
    auto appended = t.store->append_with_expected_version("s", StreamVersion{2}, {event_of("C")});
    ASSERT_TRUE(appended.is_ok()) << appended.status().to_string();
    EXPECT_EQ(t.store->read_event(Seq{3}).value().prev_hash, head_hash);
    auto report = verify_store(*t.database).value();
    EXPECT_TRUE(report.intact());
    EXPECT_EQ(report.events_checked, 3u);
}

TEST(EventStore, TimestampsNeverGoBackwards) {
    std::int64_t now = 1'750'000'000'000;
    TestStore t("store", {.clock_ms = [&] { return now; }});
    ASSERT_TRUE(t.store->append("s", ExpectedVersion::any(), {event_of("A")}).is_ok());
    now -= 60'000;  // the wall clock is set back a minute
    ASSERT_TRUE(t.store->append("s", ExpectedVersion::any(), {event_of("B")}).is_ok());
    auto events = t.store->read_all(Seq{1}, 10).value();
    EXPECT_EQ(events[0].at, "2025-06-15T15:06:40.000Z");
    EXPECT_EQ(events[1].at, events[0].at);
}

TEST(EventStore, ConcurrentAppendersGetGapFreeSeqsAndOneChain) {
    TestStore t("store", {.durability = Durability::buffered});
    constexpr int kThreads = 8;
    constexpr int kPerThread = 300;
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    std::vector<std::vector<AppendResult>> results(kThreads);
    for (int thread = 0; thread < kThreads; ++thread) {
        threads.emplace_back([&, thread] {
            for (int i = 0; i < kPerThread; ++i) {
                // Half the writers share one stream with exact versions, so they race and conflict.
                const bool shared = thread % 2 == 0;
                const std::string stream = shared ? "shared" : "own-" + std::to_string(thread);
                for (;;) {
                    auto version = t.store->stream_version(stream).value();
                    auto appended = t.store->append_with_expected_version(
                        stream, version, {event_of("E"), event_of("F")});
                    if (appended.is_ok()) {
                        results[thread].push_back(appended.value());
                        break;
                    }
                    ASSERT_EQ(appended.status().code(), StatusCode::conflict);
                    ++conflicts;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(t.store->head(), Seq{kThreads * kPerThread * 2});
    std::set<std::uint64_t> seqs;
    for (const auto& per_thread : results) {
        for (const auto& result : per_thread) {
            EXPECT_EQ(result.last_seq.value, result.first_seq.value + 1);  // a batch is contiguous
            seqs.insert(result.first_seq.value);
            seqs.insert(result.last_seq.value);
        }
    }
    EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kPerThread * 2));
    EXPECT_EQ(t.store->stream_version("shared").value(), StreamVersion{4 * kPerThread * 2});
    auto report = verify_store(*t.database).value();
    EXPECT_TRUE(report.intact()) << report.first_break->reason;
}

// Asynchronous appends: the same results as synchronous ones, without a thread per waiter.
TEST(EventStoreAsync, CompletesWithWhatItStoredInterleavedWithSyncAppenders) {
    TestStore t("store", {.durability = Durability::buffered});
    constexpr int kAsync = 600;
    std::mutex mutex;
    std::condition_variable all_done;
    std::vector<Result<AppendResult>> completed;
    std::thread sync_appender([&] {
        for (int i = 0; i < 200; ++i)
            ASSERT_TRUE(t.store->append("sync", ExpectedVersion::any(), {event_of("S")}).is_ok());
    });
    for (int i = 0; i < kAsync; ++i) {
        t.store->append_async("async-" + std::to_string(i % 7), ExpectedVersion::any(),
                              {event_of("A", "{\"i\":" + std::to_string(i) + "}")},
                              [&](Result<AppendResult> result) {
                                  std::lock_guard lock(mutex);
                                  completed.push_back(std::move(result));
                                  all_done.notify_all();
                              });
    }
    sync_appender.join();
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(30),
                                  [&] { return completed.size() == kAsync; }));
    std::set<std::uint64_t> seqs;
    for (const auto& result : completed) {
        ASSERT_TRUE(result.is_ok()) << result.status().to_string();
        // What the completion says is what the log holds.
        auto stored = t.store->read_event(result->first_seq);
        ASSERT_TRUE(stored.is_ok());
        EXPECT_EQ(stored->type, "A");
        EXPECT_EQ(stored->version, result->stream_version);
        seqs.insert(result->first_seq.value);
    }
    EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kAsync));
    EXPECT_EQ(t.store->head(), Seq{kAsync + 200});
    EXPECT_EQ(t.store->statistics().appends.load(), static_cast<std::uint64_t>(kAsync + 200));
    auto report = verify_store(*t.database).value();
    EXPECT_TRUE(report.intact()) << report.first_break->reason;
}

TEST(EventStoreAsync, RefusalsComeThroughTheCompletion) {
    TestStore t("store");
    // Found before queueing: completed before append_async returns.
    bool invalid_completed = false;
    t.store->append_async("", ExpectedVersion::any(), {event_of("E")},
                          [&](Result<AppendResult> result) {
                              EXPECT_EQ(result.status().code(), StatusCode::invalid_argument);
                              invalid_completed = true;
                          });
    EXPECT_TRUE(invalid_completed);
    // Found by the commit: a conflict, and nothing written.
    std::promise<Status> conflict;
    t.store->append_async(
        "fresh", ExpectedVersion::exact(StreamVersion{3}), {event_of("E")},
        [&](Result<AppendResult> result) { conflict.set_value(result.status()); });
    EXPECT_EQ(conflict.get_future().get().code(), StatusCode::conflict);
    EXPECT_EQ(t.store->head(), Seq{0});
    EXPECT_EQ(t.store->statistics().failures.load(), 2u);
}

TEST(EventStoreAsync, AStoreClosedWithAppendsQueuedCommitsThemFirst) {
    TestStore t("store");
    std::atomic<int> succeeded{0};
    for (int i = 0; i < 300; ++i) {
        t.store->append_async("closing", ExpectedVersion::any(), {event_of("E")},
                              [&](Result<AppendResult> result) {
                                  if (result.is_ok()) ++succeeded;
                              });
    }
    t.reopen();  // destroys the store while most of them are still queued
    EXPECT_EQ(succeeded.load(), 300) << "every queued append completes before the store closes";
    EXPECT_EQ(t.store->head(), Seq{300}) << "and each one that succeeded is stored";
}

}  // namespace
}  // namespace kakitome

namespace kakitome {
namespace {

TEST(EventStoreTransaction, AllStreamsOrNone) {
    testing::TestStore t;
    ASSERT_TRUE(t.store
                    ->append("message-1", ExpectedVersion::no_stream(),
                             {testing::event_of("MessageIngested")})
                    .is_ok());
    std::vector<StreamAppend> parts;
    parts.push_back(
        {"application-1", ExpectedVersion::no_stream(), {testing::event_of("FormMailReceived")}});
    parts.push_back(
        {"message-1", ExpectedVersion::no_stream(), {testing::event_of("MessageIngested")}});
    auto refused = t.store->append_transaction(parts);
    EXPECT_EQ(refused.status().code(), StatusCode::conflict);
    EXPECT_EQ(t.store->stream_version("application-1").value(), StreamVersion{0})
        << "a refused part must refuse all";
    EXPECT_EQ(t.store->head(), Seq{1});

    parts[1].expected = ExpectedVersion::exact(StreamVersion{1});
    auto accepted = t.store->append_transaction(parts);
    ASSERT_TRUE(accepted.is_ok()) << accepted.status().to_string();
    ASSERT_EQ(accepted->size(), 2u);
    EXPECT_EQ((*accepted)[0].first_seq, Seq{2});
    EXPECT_EQ((*accepted)[1].first_seq, Seq{3});
    EXPECT_EQ((*accepted)[1].stream_version, StreamVersion{2});

    std::vector<StreamAppend> twice;
    twice.push_back({"s", ExpectedVersion::any(), {testing::event_of("A")}});
    twice.push_back({"s", ExpectedVersion::any(), {testing::event_of("B")}});
    EXPECT_EQ(t.store->append_transaction(twice).status().code(), StatusCode::invalid_argument);
    EXPECT_TRUE(verify_store(*t.database).value().intact());
}

}  // namespace
}  // namespace kakitome
