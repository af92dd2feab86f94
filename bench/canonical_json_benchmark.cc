#include "bench/canonical_json_benchmark.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "bench/writer_threads.h"
#include "events/canonical_json.h"

namespace kakitome::bench {

namespace {

using Canonicaliser = std::function<Result<std::string>(std::string_view)>;

// Best of three passes over every payload, in nanoseconds per payload.
double nanoseconds_per_payload(const std::vector<std::string>& payloads, std::uint64_t rounds,
                               const Canonicaliser& canonicalise) {
    double best = 0;
    for (int pass = 0; pass < 3; ++pass) {
        std::size_t bytes = 0;
        const auto started = std::chrono::steady_clock::now();
        for (std::uint64_t round = 0; round < rounds; ++round)
            for (const auto& payload : payloads) bytes += canonicalise(payload).value().size();
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double per = seconds * 1e9 / static_cast<double>(rounds * payloads.size());
        if (bytes > 0 && (pass == 0 || per < best)) best = per;
    }
    return best;
}

// The same object with its keys in reverse order and a space after each separator.
std::string reversed(const std::string& payload) {
    const auto object = nlohmann::json::parse(payload);
    std::string text = "{";
    for (auto it = object.crbegin(); it != object.crend(); ++it) {
        if (text.size() > 1) text += ", ";
        text += nlohmann::json(it.key()).dump() + ": " + it.value().dump();
    }
    return text + "}";
}

}  // namespace

std::string run_canonical_json_benchmark(std::uint64_t rounds) {
    std::vector<std::string> in_order, out_of_order;
    for (int i = 0; i < 100; ++i) {
        in_order.push_back(sample_payload(i % 8, static_cast<std::uint64_t>(i)));
        out_of_order.push_back(reversed(in_order.back()));
    }
    const Canonicaliser one_pass = [](std::string_view text) { return canonicalize_json(text); };
    const Canonicaliser document = [](std::string_view text) {
        return canonicalize_json_through_document(text);
    };
    const double fast_in_order = nanoseconds_per_payload(in_order, rounds, one_pass);
    const double document_in_order = nanoseconds_per_payload(in_order, rounds, document);
    const double fast_out_of_order = nanoseconds_per_payload(out_of_order, rounds, one_pass);
    const double document_out_of_order = nanoseconds_per_payload(out_of_order, rounds, document);
    return nlohmann::json{{"benchmark", "canonical-json"},
                          {"payload_bytes", in_order.front().size()},
                          {"payloads", in_order.size() * rounds},
                          {"keys_in_order_ns", fast_in_order},
                          {"keys_in_order_document_ns", document_in_order},
                          {"keys_in_order_ratio", document_in_order / fast_in_order},
                          {"keys_out_of_order_ns", fast_out_of_order},
                          {"keys_out_of_order_document_ns", document_out_of_order},
                          {"keys_out_of_order_ratio", document_out_of_order / fast_out_of_order}}
        .dump();
}

}  // namespace kakitome::bench
