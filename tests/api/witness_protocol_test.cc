// The witness's wire protocol (C2SP tlog-witness) and cosignature/v1, below the binary: a
// cosignature verifies only under the witness's own key and over the signed checkpoint; the
// witness answers each refusal with its status (404 unknown log, 403 not the log's signature,
// 400 malformed or old above new, 409 text/x.tlog.size for another size or the same size with
// another root, 422 a failed proof or a proof where none is due) and cosigns a real extension.
#include "api/witness/witness.h"

#include <gtest/gtest.h>

#include "events/base/base64.h"
#include "events/ledger.h"
#include "events/merkle.h"
#include "events/note_signer.h"
#include "events/test_store.h"

namespace kakitome::witness {
namespace {

constexpr const char* kOrigin = "log.test.example/ledger";

struct Log {
    explicit Log(std::uint8_t leaf_salt)
        : signer(NoteSigner::from_seed(seed(1), kOrigin)), salt(leaf_salt) {}
    static std::array<std::uint8_t, 32> seed(std::uint8_t first) {
        std::array<std::uint8_t, 32> bytes{};
        bytes[0] = first;
        return bytes;
    }
    void grow(std::uint64_t size) {
        while (tree.size() < size) {
            merkle::Hash entry{};
            entry[0] = salt;
            entry[1] = static_cast<std::uint8_t>(tree.size());
            tree.append(merkle::leaf_hash(entry));
        }
    }
    std::string note() const {
        return signer.sign(checkpoint_body(kOrigin, tree.size(), tree.root(tree.size()).value()));
    }
    std::string request(std::uint64_t old_size) const {
        std::string body = "old " + std::to_string(old_size) + "\n";
        if (old_size > 0 && old_size < tree.size()) {
            const auto proof = merkle::consistency_proof(tree.nodes(), old_size, tree.size());
            for (const auto& hash : proof.value())
                body += base64_encode(
                            std::string_view(reinterpret_cast<const char*>(hash.data()), 32)) +
                        "\n";
        }
        return body + "\n" + note();
    }
    NoteSigner signer;
    std::uint8_t salt;
    merkle::MemoryTree tree;
};

class WitnessProtocol : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = testing::fresh_directory("witness-protocol");
        witness_ =
            Witness::open(directory_ / "state", Cosigner::from_seed(Log::seed(7), "w.example"),
                          {{kOrigin, Log(0).signer.verifier_key()}},
                          [] { return std::uint64_t{1795000000}; })
                .value();
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::filesystem::path directory_;
    std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessProtocol, CosignsExtensionsAndRefusesEverythingElse) {
    Log log(0);
    log.grow(5);
    const auto first = witness_->add_checkpoint(log.request(0));
    ASSERT_EQ(first.status, 200) << first.body;
    const std::string key = witness_->cosigner().verifier_key();
    EXPECT_EQ(verify_cosignature(log.note() + first.body, key).value(), 1795000000u);

    // A cosignature is the witness's, over this checkpoint, and nobody else's.
    const std::string other_key = Cosigner::from_seed(Log::seed(8), "w.example").verifier_key();
    EXPECT_FALSE(verify_cosignature(log.note() + first.body, other_key).is_ok());
    std::string flipped = first.body;
    flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_cosignature(log.note() + flipped, key).is_ok());
    Log bigger(0);
    bigger.grow(6);
    EXPECT_FALSE(verify_cosignature(bigger.note() + first.body, key).is_ok());

    // Another size than the one it holds: 409 with its size, exactly as C2SP writes it.
    log.grow(9);
    const auto stale = witness_->add_checkpoint(log.request(0));
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.body, "5\n");
    ASSERT_EQ(stale.headers.size(), 1u);
    EXPECT_EQ(stale.headers[0],
              std::make_pair(std::string("Content-Type"), std::string("text/x.tlog.size")));
    EXPECT_EQ(witness_->add_checkpoint(log.request(5)).status, 200);

    // The same size with another root (a fork): 409, never a cosignature.
    Log fork(1);
    fork.grow(9);
    EXPECT_EQ(witness_->add_checkpoint(fork.request(9)).status, 409);
    // A longer fork whose proof cannot link it to what was cosigned: 422.
    fork.grow(12);
    EXPECT_EQ(witness_->add_checkpoint(fork.request(9)).status, 422);
    // A proof where none is due (equal sizes): 422.
    std::string padded = log.request(9);
    padded.insert(padded.find('\n') + 1, std::string(43, 'A') + "=\n");
    EXPECT_EQ(witness_->add_checkpoint(padded).status, 422);

    // Not the log's key: 403. Unknown log: 404. Malformed: 400.
    Log impostor(0);
    impostor.signer = NoteSigner::from_seed(Log::seed(2), kOrigin);
    impostor.grow(10);
    EXPECT_EQ(witness_->add_checkpoint(impostor.request(9)).status, 403);
    Log elsewhere(0);
    elsewhere.signer = NoteSigner::from_seed(Log::seed(1), "other.example/log");
    elsewhere.grow(3);
    const std::string unknown =
        "old 0\n\n" + elsewhere.signer.sign(
                          checkpoint_body("other.example/log", 3, elsewhere.tree.root(3).value()));
    EXPECT_EQ(witness_->add_checkpoint(unknown).status, 404);
    EXPECT_EQ(witness_->add_checkpoint("old -1\n\n" + log.note()).status, 400);
    EXPECT_EQ(witness_->add_checkpoint("old 09\n\n" + log.note()).status, 400);
    EXPECT_EQ(witness_->add_checkpoint("old 10\n\n" + log.note()).status, 400) << "old above new";
    EXPECT_EQ(witness_->add_checkpoint("new 9\n\n" + log.note()).status, 400);
    // After all that, it still holds 9 and cosigns the real extension.
    log.grow(11);
    EXPECT_EQ(witness_->add_checkpoint(log.request(9)).status, 200);
}

}  // namespace
}  // namespace kakitome::witness
