// The payload canonicaliser, measured: events/canonical_json's one-pass writer against its
// definition (parse into a document, print it) on the same payloads in the same run: the
// append benchmark's payload (keys in order, as kakitome's writers produce them) and the same
// keys written in reverse order (what a client's JSON may look like, which takes the document
// way in both). Each side canonicalises every payload `rounds` times; the figure is the best
// of three passes, so a noisy machine changes it little.
#pragma once

#include <cstdint>
#include <string>

namespace kakitome::bench {

// One JSON object: nanoseconds per payload for each side and shape, and the ratios.
std::string run_canonical_json_benchmark(std::uint64_t rounds);

}  // namespace kakitome::bench
