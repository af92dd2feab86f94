#include "events/merkle.h"

#include <bit>

#include "events/base/sha256.h"

namespace kakitome::merkle {

namespace {

Hash digest(const std::uint8_t* first, std::size_t first_size, const std::uint8_t* second,
            std::size_t second_size, std::uint8_t prefix) {
    const auto view = [](const std::uint8_t* data, std::size_t size) {
        return std::string_view(reinterpret_cast<const char*>(data), size);
    };
    return sha256_of_parts({view(&prefix, 1), view(first, first_size), view(second, second_size)});
}

// The largest power of two strictly below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) {
    return std::uint64_t{1} << (63 - std::countl_zero(n - 1));
}

Status proof_failure(const std::string& what) {
    return Status::corruption(what).with_reason("proof_invalid");
}

}  // namespace

Hash leaf_hash(const std::uint8_t* data, std::size_t size) {
    return digest(data, size, nullptr, 0, 0x00);
}

Hash node_hash(const Hash& left, const Hash& right) {
    return digest(left.data(), left.size(), right.data(), right.size(), 0x01);
}

Hash empty_root() {
    return sha256("");
}

Result<Hash> range_hash(const NodeSource& nodes, std::uint64_t begin, std::uint64_t end) {
    const std::uint64_t count = end - begin;
    if (count == 0) return empty_root();
    if (std::has_single_bit(count) && begin % count == 0) {
        return nodes(static_cast<unsigned>(std::countr_zero(count)), begin / count);
    }
    const std::uint64_t k = split_point(count);
    auto left = range_hash(nodes, begin, begin + k);
    if (!left.is_ok()) return left;
    auto right = range_hash(nodes, begin + k, end);
    if (!right.is_ok()) return right;
    return node_hash(left.value(), right.value());
}

Result<Hash> root(const NodeSource& nodes, std::uint64_t size) {
    return range_hash(nodes, 0, size);
}

namespace {

Status path(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
            std::vector<Hash>& out) {
    const std::uint64_t n = end - begin;
    if (n <= 1) return Status::ok();
    const std::uint64_t k = split_point(n);
    if (m < k) {
        KAKITOME_RETURN_IF_ERROR(path(nodes, m, begin, begin + k, out));
        auto right = range_hash(nodes, begin + k, end);
        if (!right.is_ok()) return right.status();
        out.push_back(right.value());
    } else {
        KAKITOME_RETURN_IF_ERROR(path(nodes, m - k, begin + k, end, out));
        auto left = range_hash(nodes, begin, begin + k);
        if (!left.is_ok()) return left.status();
        out.push_back(left.value());
    }
    return Status::ok();
}

Status subproof(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                bool complete, std::vector<Hash>& out) {
    const std::uint64_t n = end - begin;
    if (m == n) {
        if (complete) return Status::ok();
        auto whole = range_hash(nodes, begin, end);
        if (!whole.is_ok()) return whole.status();
        out.push_back(whole.value());
        return Status::ok();
    }
    const std::uint64_t k = split_point(n);
    if (m <= k) {
        KAKITOME_RETURN_IF_ERROR(subproof(nodes, m, begin, begin + k, complete, out));
        auto right = range_hash(nodes, begin + k, end);
        if (!right.is_ok()) return right.status();
        out.push_back(right.value());
    } else {
        KAKITOME_RETURN_IF_ERROR(subproof(nodes, m - k, begin + k, end, false, out));
        auto left = range_hash(nodes, begin, begin + k);
        if (!left.is_ok()) return left.status();
        out.push_back(left.value());
    }
    return Status::ok();
}

}  // namespace

Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                          std::uint64_t size) {
    if (index >= size)
        return Status::invalid_argument("leaf " + std::to_string(index) + " is not in a tree of " +
                                        std::to_string(size));
    std::vector<Hash> proof;
    KAKITOME_RETURN_IF_ERROR(path(nodes, index, 0, size, proof));
    return proof;
}

Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t first,
                                            std::uint64_t second) {
    if (first == 0 || first > second) {
        return Status::invalid_argument("no consistency proof from " + std::to_string(first) +
                                        " to " + std::to_string(second));
    }
    std::vector<Hash> proof;
    if (first == second) return proof;
    KAKITOME_RETURN_IF_ERROR(subproof(nodes, first, 0, second, true, proof));
    return proof;
}

Status verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                        const std::vector<Hash>& proof, const Hash& root) {
    if (index >= size)
        return proof_failure("index " + std::to_string(index) + " is beyond tree size " +
                             std::to_string(size));
    std::uint64_t fn = index, sn = size - 1;
    Hash r = leaf;
    for (const Hash& p : proof) {
        if (sn == 0) return proof_failure("inclusion proof is too long");
        if ((fn & 1) || fn == sn) {
            r = node_hash(p, r);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return proof_failure("inclusion proof is too short");
    if (r != root) return proof_failure("inclusion proof does not lead to the root");
    return Status::ok();
}

Status verify_consistency(std::uint64_t first, std::uint64_t second, const std::vector<Hash>& proof,
                          const Hash& first_root, const Hash& second_root) {
    if (second < first) return proof_failure("the second tree is smaller than the first");
    // As transparency-dev's verifier: nothing is proven about an empty first tree.
    if (first == 0) return proof_failure("a consistency proof needs a non-empty first tree");
    if (first == second) {
        if (!proof.empty()) return proof_failure("equal sizes need an empty proof");
        if (first_root != second_root) return proof_failure("equal sizes with different roots");
        return Status::ok();
    }
    if (proof.empty()) return proof_failure("empty consistency proof");
    std::vector<Hash> path = proof;
    if (std::has_single_bit(first)) path.insert(path.begin(), first_root);
    std::uint64_t fn = first - 1, sn = second - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    Hash fr = path[0], sr = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) {
        const Hash& c = path[i];
        if (sn == 0) return proof_failure("consistency proof is too long");
        if ((fn & 1) || fn == sn) {
            fr = node_hash(c, fr);
            sr = node_hash(c, sr);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return proof_failure("consistency proof is too short");
    if (fr != first_root) return proof_failure("consistency proof does not lead to the first root");
    if (sr != second_root)
        return proof_failure("consistency proof does not lead to the second root");
    return Status::ok();
}

void MemoryTree::append(const Hash& leaf) {
    if (levels_.empty()) levels_.emplace_back();
    levels_[0].push_back(leaf);
    std::uint64_t index = levels_[0].size() - 1;
    for (std::size_t level = 0; index & 1; ++level, index >>= 1) {
        if (levels_.size() <= level + 1) levels_.emplace_back();
        levels_[level + 1].push_back(node_hash(levels_[level][index - 1], levels_[level][index]));
    }
}

NodeSource MemoryTree::nodes() const {
    return [this](unsigned level, std::uint64_t index) -> Result<Hash> {
        if (level >= levels_.size() || index >= levels_[level].size())
            return Status::not_found("no such subtree");
        return levels_[level][index];
    };
}

}  // namespace kakitome::merkle
