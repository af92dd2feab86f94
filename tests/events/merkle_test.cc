// The Merkle tree against transparency-dev/merkle's published test data (tests/data/merkle,
// Apache-2.0): every inclusion and consistency vector verifies or fails as its `wantErr` says,
// and proofs generated over the RFC 6962 reference leaves equal the published happy paths.
#include "events/merkle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "events/base/base64.h"

namespace kakitome::merkle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A vector's hash; nullopt when it is not 32 bytes (such inputs cannot even reach the verifier,
// whose hashes are fixed-size: they count as rejected).
std::optional<Hash> maybe_hash(const json& value) {
    if (!value.is_string()) return std::nullopt;
    auto bytes = base64_decode(value.get<std::string>());
    if (!bytes.is_ok() || bytes->size() != 32) return std::nullopt;
    Hash out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

Hash hash_of(const json& value) {
    return maybe_hash(value).value_or(Hash{});
}

// Roots are compared, never parsed, by transparency-dev's verifier: a root of another length is
// kept distinct (its SHA-256 stands in for it) so that equal roots stay equal.
Hash root_of(const json& value) {
    if (auto hash = maybe_hash(value)) return *hash;
    auto bytes = base64_decode(value.is_string() ? value.get<std::string>() : "");
    return sha256(bytes.is_ok() ? bytes.value() : "?");
}

std::optional<std::vector<Hash>> maybe_proof(const json& value) {
    std::vector<Hash> proof;
    if (value.is_array()) {
        for (const auto& item : value) {
            auto hash = maybe_hash(item);
            if (!hash) return std::nullopt;
            proof.push_back(*hash);
        }
    }
    return proof;
}

std::vector<Hash> proof_of(const json& value) {
    return maybe_proof(value).value_or(std::vector<Hash>{});
}

std::vector<fs::path> vectors(const std::string& kind) {
    std::vector<fs::path> files;
    for (const auto& entry :
         fs::recursive_directory_iterator(fs::path(KAKITOME_MERKLE_VECTORS) / kind)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

json load(const fs::path& path) {
    std::ifstream in(path);
    return json::parse(in);
}

// The leaves of RFC 6962's reference tree (also transparency-dev's testonly leaves).
std::vector<std::string> reference_leaves() {
    const char* hex[] = {"",
                         "00",
                         "10",
                         "2021",
                         "3031",
                         "40414243",
                         "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f"};
    std::vector<std::string> leaves;
    for (const char* text : hex) {
        std::string bytes;
        for (std::size_t i = 0; text[i]; i += 2)
            bytes += static_cast<char>(std::stoi(std::string(text + i, 2), nullptr, 16));
        leaves.push_back(bytes);
    }
    return leaves;
}

MemoryTree reference_tree(std::uint64_t size) {
    MemoryTree tree;
    const auto leaves = reference_leaves();
    for (std::uint64_t i = 0; i < size; ++i) {
        tree.append(
            leaf_hash(reinterpret_cast<const std::uint8_t*>(leaves[i].data()), leaves[i].size()));
    }
    return tree;
}

TEST(Merkle, ReferenceRoots) {
    EXPECT_EQ(to_hex(empty_root()),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(reference_tree(8).root(8).value()),
              "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    EXPECT_EQ(to_hex(reference_tree(8).root(1).value()),
              "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(Merkle, EveryInclusionVectorVerifiesOrFailsAsPublished) {
    int happy = 0, failing = 0;
    for (const auto& file : vectors("inclusion")) {
        const json v = load(file);
        const bool well_formed = maybe_hash(v["leafHash"]) && maybe_proof(v["proof"]);
        const Status status =
            !well_formed
                ? Status::invalid_argument("malformed hash")
                : verify_inclusion(v["leafIdx"].get<std::uint64_t>(),
                                   v["treeSize"].get<std::uint64_t>(), hash_of(v["leafHash"]),
                                   proof_of(v["proof"]), root_of(v["root"]));
        if (v["wantErr"].get<bool>()) {
            EXPECT_FALSE(status.is_ok()) << file;
            ++failing;
        } else {
            EXPECT_TRUE(status.is_ok()) << file << ": " << status.to_string();
            ++happy;
        }
    }
    EXPECT_GE(happy, 5);
    EXPECT_GE(failing, 50);
}

TEST(Merkle, EveryConsistencyVectorVerifiesOrFailsAsPublished) {
    int happy = 0, failing = 0;
    for (const auto& file : vectors("consistency")) {
        const json v = load(file);
        const bool well_formed = maybe_proof(v["proof"]).has_value();
        const Status status =
            !well_formed ? Status::invalid_argument("malformed hash")
                         : verify_consistency(v["size1"].get<std::uint64_t>(),
                                              v["size2"].get<std::uint64_t>(), proof_of(v["proof"]),
                                              root_of(v["root1"]), root_of(v["root2"]));
        if (v["wantErr"].get<bool>()) {
            EXPECT_FALSE(status.is_ok()) << file;
            ++failing;
        } else {
            EXPECT_TRUE(status.is_ok()) << file << ": " << status.to_string();
            ++happy;
        }
    }
    EXPECT_GE(happy, 5);
    EXPECT_GE(failing, 50);
}

TEST(Merkle, GeneratedProofsEqualThePublishedHappyPaths) {
    int compared = 0;
    for (const auto& file : vectors("inclusion")) {
        const json v = load(file);
        if (v["wantErr"].get<bool>() || file.filename() != "happy-path.json") continue;
        const auto size = v["treeSize"].get<std::uint64_t>();
        if (size > 8) continue;
        const auto tree = reference_tree(size);
        EXPECT_EQ(tree.root(size).value(), hash_of(v["root"])) << file;
        EXPECT_EQ(inclusion_proof(tree.nodes(), v["leafIdx"].get<std::uint64_t>(), size).value(),
                  proof_of(v["proof"]))
            << file;
        ++compared;
    }
    for (const auto& file : vectors("consistency")) {
        const json v = load(file);
        if (v["wantErr"].get<bool>() || file.filename() != "happy-path.json") continue;
        const auto first = v["size1"].get<std::uint64_t>(),
                   second = v["size2"].get<std::uint64_t>();
        if (second > 8 || first == 0) continue;
        const auto tree = reference_tree(second);
        EXPECT_EQ(tree.root(first).value(), hash_of(v["root1"])) << file;
        EXPECT_EQ(consistency_proof(tree.nodes(), first, second).value(), proof_of(v["proof"]))
            << file;
        ++compared;
    }
    EXPECT_GE(compared, 6);
}

TEST(Merkle, ProofsRoundTripForEveryIndexAndSizeUpTo70) {
    MemoryTree tree;
    for (std::uint64_t i = 0; i < 70; ++i) {
        const std::string leaf = "event-" + std::to_string(i);
        tree.append(leaf_hash(reinterpret_cast<const std::uint8_t*>(leaf.data()), leaf.size()));
    }
    const auto nodes = tree.nodes();
    for (std::uint64_t size = 1; size <= 70; ++size) {
        const Hash root_of_size = tree.root(size).value();
        for (std::uint64_t index = 0; index < size; ++index) {
            const Hash leaf = nodes(0, index).value();
            ASSERT_TRUE(verify_inclusion(index, size, leaf,
                                         inclusion_proof(nodes, index, size).value(), root_of_size)
                            .is_ok());
        }
        for (std::uint64_t first = 1; first <= size; ++first) {
            ASSERT_TRUE(verify_consistency(first, size,
                                           consistency_proof(nodes, first, size).value(),
                                           tree.root(first).value(), root_of_size)
                            .is_ok())
                << first << "->" << size;
        }
    }
    // A flipped bit anywhere in a proof is caught.
    auto proof = inclusion_proof(nodes, 13, 70).value();
    proof[2][7] ^= 1;
    EXPECT_FALSE(
        verify_inclusion(13, 70, nodes(0, 13).value(), proof, tree.root(70).value()).is_ok());
}

}  // namespace
}  // namespace kakitome::merkle
