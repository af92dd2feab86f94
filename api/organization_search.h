// OrganizationSearch: staff find applications by organisation name, and see the names of the
// rows on their screen, while the names stay sealed at rest (FormParsed.pii_sealed, under each
// application's key). It follows the log, opens each form's organisation once, and keeps in
// memory only: the name and its search key (form::search_key — NFKC, case-, width- and
// kana-folded, without spaces). A corrected form replaces the name; an erased application
// leaves the index at once. Nothing here is written anywhere; the API records every name it
// answers as a disclosure (docs/api.md "Organisation names"). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::api {

struct OrganizationName {
    std::string application;
    std::string organization;
};

class OrganizationSearch {
  public:
    OrganizationSearch(const EventStore& store, const DataKeyVault& vault);

    // Folds the events since the last call (every form on the first call).
    Status catch_up();
    // The applications whose organisation contains `text` (both search-keyed), by application
    // id, at most `limit`; `total` counts every match.
    std::vector<OrganizationName> find(std::string_view text, std::size_t limit,
                                       std::size_t& total) const;
    // The names of those applications the index knows (not erased, form read), in that order.
    std::vector<OrganizationName> names(const std::vector<std::string>& applications) const;
    // Forms whose organisation could not be opened (not erased: damaged); they are not found.
    std::size_t unreadable() const;

  private:
    struct Name {
        std::string organization;
        std::string key;
    };
    const EventStore& store_;
    const DataKeyVault& vault_;
    mutable std::mutex mutex_;
    std::map<std::string, Name> names_;  // by application
    std::set<std::string> unreadable_;
    Seq position_{0};
};

}  // namespace kakitome::api
