// The verifying replay's page loop: on an intact log it hands on every event once, in order, in
// pages; a record whose bytes no longer hash to its stored hash, a record whose prev_hash names
// another predecessor, and a hole in the seqs each stop it with chain_broken naming the seq, and
// nothing from the bad record on is folded. Records are damaged with RocksDB directly, as a disk
// or an intruder would. The followers' loop (for_each_page, which reads the next page on a second
// thread while one folds) hands on every event of its range once, in order, folds on the calling
// thread, and stops at the first fold error with no later page folded.
#include "events/verified_pages.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/storage_keys.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

constexpr std::size_t kPage = 7;  // small pages, so that breaks land mid-page and at edges

class VerifiedPagesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (int i = 1; i <= 40; ++i) {
            ASSERT_TRUE(
                t_.store
                    ->append("s-" + std::to_string(i % 4), ExpectedVersion::any(),
                             {testing::event_of("Happened", "{\"i\":" + std::to_string(i) + "}")})
                    .is_ok());
        }
    }
    std::string stored(std::uint64_t seq) {
        std::string value;
        EXPECT_TRUE(t_.database->db()
                        ->Get(rocksdb::ReadOptions(), t_.database->events(),
                              storage_keys::event_key(seq), &value)
                        .ok());
        return value;
    }
    void overwrite(std::uint64_t seq, const std::string& value) {
        ASSERT_TRUE(t_.database->db()
                        ->Put(rocksdb::WriteOptions(), t_.database->events(),
                              storage_keys::event_key(seq), value)
                        .ok());
    }
    void remove(std::uint64_t seq) {
        ASSERT_TRUE(t_.database->db()
                        ->Delete(rocksdb::WriteOptions(), t_.database->events(),
                                 storage_keys::event_key(seq))
                        .ok());
    }
    // Folds the whole log; returns the seqs folded and the loop's status.
    Status replay(std::vector<std::uint64_t>& folded) {
        return for_each_verified_page(
            *t_.store, Seq{1}, Seq{0}, Sha256Digest{},
            [&](const std::vector<RecordedEvent>& page) {
                EXPECT_LE(page.size(), kPage);
                for (const auto& event : page) folded.push_back(event.seq.value);
                return Status::ok();
            },
            kPage);
    }
    testing::TestStore t_;
};

TEST_F(VerifiedPagesTest, AnIntactLogIsHandedOnOnceInOrder) {
    std::vector<std::uint64_t> folded;
    ASSERT_TRUE(replay(folded).is_ok());
    ASSERT_EQ(folded.size(), 40u);
    for (std::size_t i = 0; i < folded.size(); ++i) EXPECT_EQ(folded[i], i + 1);
    // A range, and what the events carry.
    std::vector<RecordedEvent> events;
    ASSERT_TRUE(for_each_verified_page(
                    *t_.store, Seq{1}, Seq{9}, Sha256Digest{},
                    [&](const std::vector<RecordedEvent>& page) {
                        events.insert(events.end(), page.begin(), page.end());
                        return Status::ok();
                    },
                    kPage)
                    .is_ok());
    ASSERT_EQ(events.size(), 9u);
    EXPECT_EQ(events[8].payload_json, "{\"i\":9}");
    EXPECT_EQ(events[8].stream, "s-1");
    EXPECT_EQ(events[8].prev_hash, events[7].hash);
}

// A replay that starts mid-log links its first event to the hash it is given: the right one
// continues the chain, any other stops the replay at that first event.
TEST_F(VerifiedPagesTest, AReplayFromMidLogLinksItsFirstEventToThePreviousHashGiven) {
    const Sha256Digest hash_of_20 = t_.store->read_event(Seq{20}).value().hash;
    std::vector<std::uint64_t> folded;
    const auto fold = [&](const std::vector<RecordedEvent>& page) {
        for (const auto& event : page) folded.push_back(event.seq.value);
        return Status::ok();
    };
    ASSERT_TRUE(
        for_each_verified_page(*t_.store, Seq{21}, Seq{0}, hash_of_20, fold, kPage).is_ok());
    ASSERT_EQ(folded.size(), 20u);
    EXPECT_EQ(folded.front(), 21u);
    EXPECT_EQ(folded.back(), 40u);
    folded.clear();
    const Status wrong =
        for_each_verified_page(*t_.store, Seq{21}, Seq{0}, Sha256Digest{}, fold, kPage);
    EXPECT_EQ(wrong.reason(), "chain_broken") << wrong.to_string();
    EXPECT_EQ(wrong.message().rfind("the hash chain breaks at seq 21:", 0), 0u) << wrong.message();
    EXPECT_TRUE(folded.empty());
}

TEST_F(VerifiedPagesTest, ChangedBytesStopTheReplayAtThatEvent) {
    std::string value = stored(17);
    const auto at = value.find("\"i\":17");
    ASSERT_NE(at, std::string::npos);
    value[at + 4] = '8';  // the payload now says 18; the stored hash still covers 17
    overwrite(17, value);
    std::vector<std::uint64_t> folded;
    const Status status = replay(folded);
    EXPECT_EQ(status.reason(), "chain_broken") << status.to_string();
    EXPECT_NE(status.message().find("seq 17"), std::string::npos) << status.message();
    for (auto seq : folded) EXPECT_LT(seq, 17u);
}

TEST_F(VerifiedPagesTest, ARecordLinkedToAnotherPredecessorStopsTheReplay) {
    // Seq 23 rewritten whole with a valid hash over its new bytes, but its prev_hash is seq
    // 21's: the record is self-consistent, the chain is not.
    const std::string predecessor = stored(21).substr(0, 32);
    std::string canonical = stored(23).substr(32);
    const std::string wanted = to_hex(*reinterpret_cast<const Sha256Digest*>(stored(22).data()));
    const auto at = canonical.find(wanted);
    ASSERT_NE(at, std::string::npos);
    canonical.replace(at, 64, to_hex(*reinterpret_cast<const Sha256Digest*>(predecessor.data())));
    const Sha256Digest rehashed = sha256(canonical);
    overwrite(23, std::string(reinterpret_cast<const char*>(rehashed.data()), 32) + canonical);
    std::vector<std::uint64_t> folded;
    const Status status = replay(folded);
    EXPECT_EQ(status.reason(), "chain_broken") << status.to_string();
    EXPECT_NE(status.message().find("seq 23"), std::string::npos) << status.message();
    for (auto seq : folded) EXPECT_LT(seq, 23u);
}

TEST_F(VerifiedPagesTest, AMissingEventStopsTheReplayAtTheHole) {
    remove(15);
    std::vector<std::uint64_t> folded;
    const Status status = replay(folded);
    EXPECT_EQ(status.reason(), "chain_broken") << status.to_string();
    // The hole itself is named, not the next event whose prev_hash no longer links.
    EXPECT_EQ(status.message().rfind("the hash chain breaks at seq 15:", 0), 0u)
        << status.message();
    // And called a hole: the next stored event is 16, not a record that misstates its seq.
    EXPECT_NE(status.message().find("the next stored event has seq 16"), std::string::npos)
        << status.message();
    for (auto seq : folded) EXPECT_LT(seq, 15u);
}

TEST_F(VerifiedPagesTest, EventsMissingAtTheEndStopTheReplay) {
    // No later event's prev_hash can notice these: the replay must reach the head it was given.
    remove(39);
    remove(40);
    std::vector<std::uint64_t> folded;
    const Status status = replay(folded);
    EXPECT_EQ(status.reason(), "chain_broken") << status.to_string();
    EXPECT_EQ(status.message().rfind("the hash chain breaks at seq 39:", 0), 0u)
        << status.message();
    for (auto seq : folded) EXPECT_LT(seq, 39u);
}

TEST_F(VerifiedPagesTest, AFoldErrorStopsTheReaderAndIsReturned) {
    int pages = 0;
    const Status status = for_each_verified_page(
        *t_.store, Seq{1}, Seq{0}, Sha256Digest{},
        [&](const std::vector<RecordedEvent>&) {
            return ++pages == 2 ? Status::internal("fold failed") : Status::ok();
        },
        kPage);
    EXPECT_EQ(status.message(), "fold failed");
    EXPECT_EQ(pages, 2);
}

TEST_F(VerifiedPagesTest, TheFollowersLoopHandsOnEveryEventOfItsRangeOnceInOrderOnTheCaller) {
    for (const auto& [from, until, expected] :
         std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>>{
             {1, 0, 40}, {1, 9, 9}, {8, 21, 14}, {40, 0, 1}, {41, 0, 0}, {1, 7, 7}}) {
        std::vector<std::uint64_t> folded;
        const auto caller = std::this_thread::get_id();
        ASSERT_TRUE(for_each_page(
                        *t_.store, Seq{from}, Seq{until},
                        [&](const std::vector<RecordedEvent>& page) {
                            EXPECT_EQ(std::this_thread::get_id(), caller);
                            EXPECT_LE(page.size(), kPage);
                            for (const auto& event : page) folded.push_back(event.seq.value);
                            return Status::ok();
                        },
                        kPage)
                        .is_ok());
        ASSERT_EQ(folded.size(), expected) << from << ".." << until;
        for (std::size_t i = 0; i < folded.size(); ++i) EXPECT_EQ(folded[i], from + i);
    }
}

TEST_F(VerifiedPagesTest, TheFollowersLoopStopsAtTheFirstFoldError) {
    int pages = 0;
    const Status status = for_each_page(
        *t_.store, Seq{1}, Seq{0},
        [&](const std::vector<RecordedEvent>&) {
            return ++pages == 2 ? Status::internal("fold failed") : Status::ok();
        },
        kPage);
    EXPECT_EQ(status.message(), "fold failed");
    EXPECT_EQ(pages, 2);
}

// The prepared loop: every page prepared once (two at a time, so in any order); the batches
// written on the caller's thread in log order, each with its page's last seq.
TEST_F(VerifiedPagesTest, ThePreparedLoopWritesEveryPagesBatchInOrderOnTheCaller) {
    for (const auto& [from, until, expected] :
         std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>>{
             {1, 0, 40}, {8, 21, 14}, {40, 0, 1}, {41, 0, 0}, {0, 0, 40}, {0, 9, 9}}) {
        const std::uint64_t first = std::max<std::uint64_t>(from, 1);  // seq 0 is no event
        const auto caller = std::this_thread::get_id();
        std::mutex prepared_mutex;  // two pages are prepared at once
        std::vector<std::uint64_t> prepared_seqs;
        std::vector<std::uint64_t> written_lasts;
        std::uint64_t written_events = 0;
        ASSERT_TRUE(for_each_prepared_page(
                        *t_.store, Seq{from}, Seq{until},
                        [&](const std::vector<RecordedEvent>& page, PreparedWrite& prepared) {
                            EXPECT_LE(page.size(), kPage);
                            std::lock_guard lock(prepared_mutex);
                            for (const auto& event : page) {
                                prepared_seqs.push_back(event.seq.value);
                                prepared.batch.put(storage_keys::kMetaFamily, "prepared", "x");
                            }
                            return Status::ok();
                        },
                        [&](PreparedWrite& prepared, Seq last) {
                            EXPECT_EQ(std::this_thread::get_id(), caller);
                            EXPECT_FALSE(prepared.batch.empty());
                            written_events +=
                                last.value -
                                (written_lasts.empty() ? first - 1 : written_lasts.back());
                            written_lasts.push_back(last.value);
                            return Status::ok();
                        },
                        kPage)
                        .is_ok());
        std::sort(prepared_seqs.begin(), prepared_seqs.end());
        ASSERT_EQ(prepared_seqs.size(), expected) << from << ".." << until;
        for (std::size_t i = 0; i < prepared_seqs.size(); ++i)
            EXPECT_EQ(prepared_seqs[i], first + i);
        EXPECT_EQ(written_events, expected);
        EXPECT_TRUE(std::is_sorted(written_lasts.begin(), written_lasts.end()));
    }
}

TEST_F(VerifiedPagesTest, ThePreparedLoopStopsAtTheFirstErrorOfEitherHalf) {
    int written = 0;
    Status status = for_each_prepared_page(
        *t_.store, Seq{1}, Seq{0},
        [](const std::vector<RecordedEvent>&, PreparedWrite&) { return Status::ok(); },
        [&](PreparedWrite&, Seq) {
            return ++written == 2 ? Status::internal("write failed") : Status::ok();
        },
        kPage);
    EXPECT_EQ(status.message(), "write failed");
    EXPECT_EQ(written, 2);
    written = 0;
    status = for_each_prepared_page(
        *t_.store, Seq{1}, Seq{0},
        [&](const std::vector<RecordedEvent>& page, PreparedWrite&) {
            const bool third_page = page.front().seq.value == 2 * kPage + 1;
            return third_page ? Status::internal("prepare failed") : Status::ok();
        },
        [&](PreparedWrite&, Seq) {
            ++written;
            return Status::ok();
        },
        kPage);
    EXPECT_EQ(status.message(), "prepare failed");
    EXPECT_EQ(written, 2);
}

}  // namespace
}  // namespace kakitome
