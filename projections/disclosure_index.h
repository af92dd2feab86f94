// DisclosureIndex: every PiiDisclosed event indexed by application, by principal and by time,
// plus each application's owner (the applicant principal "applicant:<sender key>" from its
// form mail) and registration time — the data incident responders query (design section 5:
// "who saw what is a query over these events"). Kept in its own column family, caught up like
// a projection (rows and position in one WriteBatch per page), so who-saw is one prefix scan.
// catch_up() from one thread; queries are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event_store.h"

namespace kakitome {

inline constexpr const char* kDisclosuresFamily = "projection_disclosures";

struct DisclosureRecord {
    std::uint64_t seq = 0;
    std::int64_t at_ms = 0;
    std::string at;
    std::string application;
    std::string principal;
    std::string role;
    std::string request_id;
    std::string endpoint;
    std::string remote;
    std::vector<std::string> fields;
};

// The record as JSON text (also its stored form), and a list of them as a JSON array.
std::string disclosure_to_json(const DisclosureRecord& record);
std::string disclosures_to_json(const std::vector<DisclosureRecord>& records);

struct Registration {
    std::string application;
    std::string owner;  // "applicant:<sender key>"
    std::int64_t registered_at_ms = 0;
};

class DisclosureIndex {
  public:
    explicit DisclosureIndex(const EventStore& store) : store_(store) {}

    Status catch_up();
    Seq position() const;

    Result<std::vector<DisclosureRecord>> who_saw(const std::string& application) const;
    Result<std::vector<DisclosureRecord>> saw_what(const std::string& principal) const;
    // Disclosures with from_ms <= at < to_ms, in time order.
    Result<std::vector<DisclosureRecord>> in_window(std::int64_t from_ms, std::int64_t to_ms) const;
    Result<std::optional<Registration>> registration(const std::string& application) const;
    // Applications whose form mail arrived with from_ms <= at < to_ms.
    Result<std::vector<Registration>> registered_in(std::int64_t from_ms, std::int64_t to_ms) const;

  private:
    const EventStore& store_;
};

}  // namespace kakitome
