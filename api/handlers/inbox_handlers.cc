// The inbox route: the mails intake could not route to an application, newest first, with
// why, and what became of the automatic answer (docs/api.md "Inbox").
#include "api/service_impl.h"

#include <nlohmann/json.hpp>

#include "api/query.h"
#include "projections/inbox_projection.h"

namespace kakitome::api {

HttpResponse ApiService::Impl::inbox(Context& context) {
    const auto limit_or_refusal = page_limit(context.query);
    if (auto* refused = std::get_if<HttpResponse>(&limit_or_refusal)) return *refused;
    const std::uint64_t limit = std::get<std::uint64_t>(limit_or_refusal);
    const std::string kind = context.query.count("kind") ? context.query["kind"] : "";
    if (!kind.empty() && kind != "refused" && kind != "unrelated" && kind != "message_id_reused") {
        return problem(400, "invalid_kind", "kind is refused, unrelated or message_id_reused",
                       "got '" + kind + "'");
    }
    std::vector<InboxEntry> entries = d.read_models.inbox();
    std::erase_if(entries,
                  [&](const InboxEntry& entry) { return !kind.empty() && entry.kind != kind; });
    std::size_t start = 0;
    if (context.query.count("after")) {
        const std::string& after = context.query["after"];
        auto found = std::find_if(entries.begin(), entries.end(),
                                  [&](const InboxEntry& entry) { return entry.id == after; });
        if (found == entries.end())
            return problem(400, "invalid_cursor", "'after' is not a mail in this inbox view");
        start = static_cast<std::size_t>(found - entries.begin()) + 1;
    }
    json items = json::array();
    std::size_t index = start;
    for (; index < entries.size() && index - start < limit; ++index)
        items.push_back(json::parse(inbox_entry_to_json(entries[index])));
    return json_response(
        200, {{"items", items},
              {"next", index < entries.size() ? json(entries[index - 1].id) : json(nullptr)},
              {"total", entries.size()}});
}

}  // namespace kakitome::api
