// Domain number types of the event store. Each is a distinct type so a stream version can never
// be passed where a global sequence number is expected.
#pragma once

#include <compare>
#include <cstdint>

namespace kakitome {

// Global position of an event in the log: gap-free, the first event is Seq{1}; Seq{0} means
// "before the first event".
struct Seq {
    std::uint64_t value = 0;
    auto operator<=>(const Seq&) const = default;
};

// Position of an event inside its stream: the first event is version 1; version 0 means the
// stream does not exist yet.
struct StreamVersion {
    std::uint64_t value = 0;
    auto operator<=>(const StreamVersion&) const = default;
};

// What the caller believes about a stream before appending to it (optimistic concurrency).
class ExpectedVersion {
  public:
    enum class Kind { any, no_stream, exact };

    static ExpectedVersion any() { return ExpectedVersion(Kind::any, {}); }
    static ExpectedVersion no_stream() { return ExpectedVersion(Kind::no_stream, {}); }
    // exact(StreamVersion{0}) is the same as no_stream().
    static ExpectedVersion exact(StreamVersion version) {
        return ExpectedVersion(Kind::exact, version);
    }

    Kind kind() const { return kind_; }
    StreamVersion version() const { return version_; }
    bool accepts(StreamVersion current) const {
        switch (kind_) {
            case Kind::any:
                return true;
            case Kind::no_stream:
                return current.value == 0;
            case Kind::exact:
                return current == version_;
        }
        return false;
    }

  private:
    ExpectedVersion(Kind kind, StreamVersion version) : kind_(kind), version_(version) {}
    Kind kind_;
    StreamVersion version_;
};

enum class Durability {
    sync,      // the WAL is fsynced before an append is acknowledged; survives power loss
    buffered,  // the WAL is written but not fsynced; survives a process crash, not an OS crash
};

}  // namespace kakitome
