#include "api/organization_search.h"

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/form/text_normalization.h"

namespace kakitome::api {

OrganizationSearch::OrganizationSearch(const EventStore& store, const DataKeyVault& vault)
    : store_(store), vault_(vault) {}

Status OrganizationSearch::catch_up() {
    using namespace domain;
    std::lock_guard lock(mutex_);
    Status folded;
    const Status read =
        for_each_current_event(store_, Seq{position_.value + 1}, [&](const RecordedEvent& event) {
            if (!folded.is_ok()) return;
            const auto application = application_of(event.stream);
            if (application) {
                folded = when<FormParsed>(event, [&](const FormParsed& form) {
                    auto opened = vault_.open_sealed(*application, form.pii_sealed);
                    if (!opened.is_ok()) {
                        // An erased key: the name is gone, and so is its entry. Any other
                        // failure is counted and passed over: one damaged form must not stop
                        // every search after it.
                        names_.erase(*application);
                        if (opened.status().reason() != "erased") unreadable_.insert(*application);
                        return;
                    }
                    unreadable_.erase(*application);
                    const auto fields = nlohmann::json::parse(opened.value(), nullptr, false);
                    const std::string organization =
                        fields.is_object() ? fields.value("organization", "") : "";
                    names_[*application] = {organization, form::search_key(organization)};
                });
                if (erases_personal_data(event.type)) names_.erase(*application);
            }
            if (folded.is_ok()) position_ = event.seq;
        });
    return read.is_ok() ? folded : read;
}

std::vector<OrganizationName> OrganizationSearch::find(std::string_view text, std::size_t limit,
                                                       std::size_t& total) const {
    const std::string key = form::search_key(text);
    std::vector<OrganizationName> found;
    total = 0;
    std::lock_guard lock(mutex_);
    for (const auto& [application, name] : names_) {
        if (key.empty() || name.key.find(key) == std::string::npos) continue;
        if (++total <= limit) found.push_back({application, name.organization});
    }
    return found;
}

std::size_t OrganizationSearch::unreadable() const {
    std::lock_guard lock(mutex_);
    return unreadable_.size();
}

std::vector<OrganizationName> OrganizationSearch::names(
    const std::vector<std::string>& applications) const {
    std::vector<OrganizationName> found;
    std::lock_guard lock(mutex_);
    for (const auto& application : applications) {
        if (auto name = names_.find(application); name != names_.end())
            found.push_back({application, name->second.organization});
    }
    return found;
}

}  // namespace kakitome::api
