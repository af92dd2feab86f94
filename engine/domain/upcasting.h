// Schema evolution: stored events are hashed and never change, so an event written under an
// older schema is upgraded when it is read. Each step takes one event of a type at schema n and
// gives the events it stands for at later schemas: usually one at n+1, possibly several (a split)
// or none (a type retired). Steps repeat until every event is at its type's current schema.
//
// Contract:
// - check_upcast_chain() holds for the system's steps (tested, and checked again on first use):
//   every type of the catalog has exactly one step from each schema below its current one, each
//   step only produces what it declares, types it declares are known, at schemas no newer than
//   current, and no chain of steps leads back to where it started.
// - for_each_current_event() is how every reader (projections, replay, export rendering, the
//   API) sees events: a current event is passed through as it is (no parse, no copy); an older
//   one is upgraded, each result keeping the stored envelope (seq, stream, at, actor, hashes)
//   with the new type, schema and payload. An event newer than this binary knows, or one an
//   upcaster cannot read, is an error naming its seq. Types the catalog does not know pass as
//   they are.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/event_catalog.h"
#include "events/base/status.h"
#include "events/event.h"
#include "events/event_store.h"

namespace kakitome::domain {

struct EventBody {
    std::string type;
    int schema = 1;
    nlohmann::json payload;
};

struct UpcastStep {
    std::string_view type;
    int from_schema;
    std::vector<std::pair<std::string_view, int>> produces;  // (type, schema) it may give
    std::function<Result<std::vector<EventBody>>(const EventBody&)> upcast;
};

// Every step kakitome has ever needed, oldest first.
const std::vector<UpcastStep>& upcast_steps();

Status check_upcast_chain(const std::vector<UpcastStep>& steps,
                          const std::vector<EventTypeInfo>& catalog);

// Upgrades with the given steps (tests use their own chains).
Status for_each_current_event(const RecordedEvent& stored, const std::vector<UpcastStep>& steps,
                              const std::function<void(const RecordedEvent&)>& visit);
// Upgrades with upcast_steps().
Status for_each_current_event(const RecordedEvent& stored,
                              const std::function<void(const RecordedEvent&)>& visit);

// A store's events from `from` on, upgraded; stops at the first error.
Status for_each_current_event(const EventStore& store, Seq from,
                              const std::function<void(const RecordedEvent&)>& visit);
// A whole stream, upgraded.
Result<std::vector<RecordedEvent>> read_current_stream(const EventStore& store,
                                                       std::string_view stream);
// The same a page at a time, for streams too long to hold (for_each_stream_event); the first
// error `visit` returns stops it.
Status for_each_current_stream_event(const EventStore& store, std::string_view stream,
                                     const std::function<Status(const RecordedEvent&)>& visit);

}  // namespace kakitome::domain
