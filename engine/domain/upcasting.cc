#include "engine/domain/upcasting.h"

#include <map>
#include <set>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/usage_channel.h"

namespace kakitome::domain {

using nlohmann::json;

namespace {

// FormParsed 1 -> 2: the usage channels were the labels as read from the form ("公式HP"); they
// become codes, and what matched no channel is kept apart as the applicant wrote it.
Result<std::vector<EventBody>> form_parsed_labels_to_codes(const EventBody& in) {
    json payload = in.payload;
    if (!payload.is_object() || !payload.contains("usages") || !payload["usages"].is_array())
        return Status::invalid_argument("FormParsed schema 1 has no \"usages\" list")
            .with_reason("bad_payload");
    json codes = json::array(), unrecognized = json::array();
    for (const auto& label : payload["usages"]) {
        if (!label.is_string())
            return Status::invalid_argument("FormParsed schema 1 has a usage that is not text")
                .with_reason("bad_payload");
        if (auto code = usage_channel_code(label.get<std::string>()))
            codes.push_back(std::string(*code));
        else
            unrecognized.push_back(label);
    }
    payload.erase("usages");
    payload["usage_channels"] = std::move(codes);
    payload["unrecognized_usages"] = std::move(unrecognized);
    return std::vector<EventBody>{{std::string(FormParsed::kType), 2, std::move(payload)}};
}

using Node = std::pair<std::string, int>;

// Depth-first search for a way back to a node already on the path.
bool leads_back(const Node& node, const std::map<Node, std::vector<Node>>& edges,
                std::set<Node>& on_path, std::set<Node>& done) {
    if (done.count(node)) return false;
    if (!on_path.insert(node).second) return true;
    if (auto found = edges.find(node); found != edges.end()) {
        for (const Node& next : found->second)
            if (leads_back(next, edges, on_path, done)) return true;
    }
    on_path.erase(node);
    done.insert(node);
    return false;
}

Status chain_error(const std::string& message) {
    return Status::internal("upcaster chain: " + message).with_reason("bad_upcaster_chain");
}

const UpcastStep* step_for(const std::vector<UpcastStep>& steps, std::string_view type,
                           int schema) {
    for (const auto& step : steps)
        if (step.type == type && step.from_schema == schema) return &step;
    return nullptr;
}

// Upgrades one body until it is current, appending the results to `out`.
Status upgrade(EventBody body, const std::vector<UpcastStep>& steps, int depth,
               std::vector<EventBody>& out) {
    const auto current = current_schema(body.type);
    if (!current || body.schema == *current) {
        out.push_back(std::move(body));
        return Status::ok();
    }
    if (body.schema > *current) {
        return Status::failed_precondition(body.type + " schema " + std::to_string(body.schema) +
                                           " was written by a newer kakitome (this one reads up "
                                           "to schema " +
                                           std::to_string(*current) + ")")
            .with_reason("schema_too_new");
    }
    // The chain is acyclic, so this only guards against a step that lies about its output.
    if (depth > 64) return chain_error("more than 64 steps for " + body.type);
    const UpcastStep* step = step_for(steps, body.type, body.schema);
    if (!step)
        return chain_error("no step from " + body.type + " schema " + std::to_string(body.schema));
    auto results = step->upcast(body);
    if (!results.is_ok()) return results.status();
    for (auto& result : results.value()) {
        const bool declared =
            std::any_of(step->produces.begin(), step->produces.end(), [&](const auto& produced) {
                return produced.first == result.type && produced.second == result.schema;
            });
        if (!declared) {
            return chain_error("the step from " + body.type + " schema " +
                               std::to_string(body.schema) + " gave an undeclared " + result.type +
                               " schema " + std::to_string(result.schema));
        }
        KAKITOME_RETURN_IF_ERROR(upgrade(std::move(result), steps, depth + 1, out));
    }
    return Status::ok();
}

}  // namespace

const std::vector<UpcastStep>& upcast_steps() {
    static const std::vector<UpcastStep> steps = {
        {FormParsed::kType, 1, {{FormParsed::kType, 2}}, form_parsed_labels_to_codes},
    };
    return steps;
}

Status check_upcast_chain(const std::vector<UpcastStep>& steps,
                          const std::vector<EventTypeInfo>& catalog) {
    auto schema_of = [&](std::string_view type) -> std::optional<int> {
        for (const auto& info : catalog)
            if (info.type == type) return info.schema;
        return std::nullopt;
    };
    std::map<Node, std::vector<Node>> edges;
    for (const auto& step : steps) {
        const Node from{std::string(step.type), step.from_schema};
        const auto current = schema_of(step.type);
        if (!current) return chain_error("a step from the unknown type " + from.first);
        if (step.from_schema < 1 || step.from_schema >= *current)
            return chain_error("a step from " + from.first + " schema " +
                               std::to_string(step.from_schema) + ", which is not older than " +
                               std::to_string(*current));
        if (edges.count(from))
            return chain_error("two steps from " + from.first + " schema " +
                               std::to_string(step.from_schema));
        auto& next = edges[from];
        for (const auto& [type, schema] : step.produces) {
            const auto produced_current = schema_of(type);
            if (!produced_current)
                return chain_error(from.first + " gives the unknown " + std::string(type));
            if (schema < 1 || schema > *produced_current)
                return chain_error(from.first + " gives " + std::string(type) + " schema " +
                                   std::to_string(schema) + ", which does not exist");
            next.emplace_back(std::string(type), schema);
        }
    }
    for (const auto& info : catalog) {
        for (int schema = 1; schema < info.schema; ++schema) {
            if (!edges.count({std::string(info.type), schema}))
                return chain_error("no step from " + std::string(info.type) + " schema " +
                                   std::to_string(schema) + " (a gap below schema " +
                                   std::to_string(info.schema) + ")");
        }
    }
    std::set<Node> on_path, done;
    for (const auto& [node, next] : edges) {
        if (leads_back(node, edges, on_path, done))
            return chain_error("a cycle through " + node.first + " schema " +
                               std::to_string(node.second));
    }
    return Status::ok();
}

Status for_each_current_event(const RecordedEvent& stored, const std::vector<UpcastStep>& steps,
                              const std::function<void(const RecordedEvent&)>& visit) {
    const auto current = current_schema(stored.type);
    if (!current || stored.schema == *current) {
        visit(stored);
        return Status::ok();
    }
    auto payload = parse_payload_json(stored.type, stored.payload_json);
    if (!payload.is_ok()) return payload.status();
    std::vector<EventBody> upgraded;
    const Status status = upgrade(EventBody{stored.type, stored.schema, std::move(payload).value()},
                                  steps, 0, upgraded);
    if (!status.is_ok()) {
        return Status(status.code(),
                      "event " + std::to_string(stored.seq.value) + ": " + status.message())
            .with_reason(status.reason());
    }
    for (auto& body : upgraded) {
        RecordedEvent event = stored;
        event.type = std::move(body.type);
        event.schema = body.schema;
        event.payload_json = body.payload.dump(-1, ' ', false, json::error_handler_t::replace);
        visit(event);
    }
    return Status::ok();
}

Status for_each_current_event(const RecordedEvent& stored,
                              const std::function<void(const RecordedEvent&)>& visit) {
    static const Status chain = check_upcast_chain(upcast_steps(), event_catalog());
    if (!chain.is_ok()) return chain;
    return for_each_current_event(stored, upcast_steps(), visit);
}

Status for_each_current_event(const EventStore& store, Seq from,
                              const std::function<void(const RecordedEvent&)>& visit) {
    Status first_error;
    KAKITOME_RETURN_IF_ERROR(for_each_event(store, from, [&](const RecordedEvent& stored) {
        if (!first_error.is_ok()) return;
        first_error = for_each_current_event(stored, visit);
    }));
    return first_error;
}

Result<std::vector<RecordedEvent>> read_current_stream(const EventStore& store,
                                                       std::string_view stream) {
    auto stored = read_whole_stream(store, stream);
    if (!stored.is_ok()) return stored.status();
    std::vector<RecordedEvent> current;
    current.reserve(stored->size());
    for (const auto& event : stored.value()) {
        KAKITOME_RETURN_IF_ERROR(for_each_current_event(
            event, [&](const RecordedEvent& upgraded) { current.push_back(upgraded); }));
    }
    return current;
}

Status for_each_current_stream_event(const EventStore& store, std::string_view stream,
                                     const std::function<Status(const RecordedEvent&)>& visit) {
    return for_each_stream_event(store, stream, [&](const RecordedEvent& stored) {
        Status visited;
        Status upgraded = for_each_current_event(stored, [&](const RecordedEvent& event) {
            if (visited.is_ok()) visited = visit(event);
        });
        return upgraded.is_ok() ? visited : upgraded;
    });
}

}  // namespace kakitome::domain
