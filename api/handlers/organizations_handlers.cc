// The organisation names of queue rows (`applications=a,b,c`, the rows a member of staff has on
// screen) or the rows whose organisation contains a text (`search=さくら`). The queue itself stays
// free of personal data; each name answered here is recorded first, one PiiDisclosed per answer
// naming the applications and the field (docs/api.md "Organisation names").
#include "api/service_impl.h"

#include <nlohmann/json.hpp>

#include "engine/form/text_normalization.h"

namespace kakitome::api {

namespace {

// A search answers at most this many rows (and says how many matched): a text that matches
// more is too short to be a search, and each answered name is a disclosure.
constexpr std::size_t kMaxSearchMatches = 1000;

std::vector<std::string> comma_separated(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) parts.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return parts;
}

}  // namespace

HttpResponse ApiService::Impl::organizations_of(Context& context) {
    const bool by_ids = context.query.count("applications") > 0;
    if (by_ids == (context.query.count("search") > 0)) {
        return problem(400, "invalid_query", "give either applications=ID,ID,… or search=TEXT", "");
    }
    std::vector<OrganizationName> found;
    std::size_t total = 0;
    if (by_ids) {
        const auto applications = comma_separated(context.query["applications"]);
        if (applications.empty() || applications.size() > kMaxPageLimit) {
            return problem(400, "invalid_applications",
                           "applications lists 1 to " + std::to_string(kMaxPageLimit) + " ids", "");
        }
        if (auto caught_up = organizations.catch_up(); !caught_up.is_ok())
            return problem_for(caught_up);
        found = organizations.names(applications);
        total = found.size();
    } else {
        const std::string& text = context.query["search"];
        if (form::search_key(text).empty())
            return problem(400, "invalid_search", "search for at least one character", "");
        if (auto caught_up = organizations.catch_up(); !caught_up.is_ok())
            return problem_for(caught_up);
        found = organizations.find(text, kMaxSearchMatches, total);
    }
    std::vector<std::string> disclosed;
    json items = json::array();
    for (const auto& name : found) {
        disclosed.push_back(name.application);
        items.push_back({{"application", name.application}, {"organization", name.organization}});
    }
    if (!disclosed.empty()) {
        if (auto logged = disclose(context, disclosed, {"organization"}); !logged.is_ok())
            return disclosure_not_recorded(logged);
    }
    return json_response(
        200, {{"items", items}, {"total", total}, {"unreadable", organizations.unreadable()}});
}

}  // namespace kakitome::api
