#include "projections/directory_projection.h"

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/workflow/applicant_contact.h"

namespace kakitome {

using nlohmann::json;

Status DirectoryProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    using namespace domain;
    const auto application = application_of(event.stream);
    if (!application) return Status::ok();
    if (!is<FormMailReceived>(event) && !is<FormParsed>(event) && !erases_personal_data(event.type))
        return Status::ok();
    Row row = rows_[*application];
    if (erases_personal_data(event.type)) row.erased = true;
    KAKITOME_RETURN_IF_ERROR(when<FormMailReceived>(
        event, [&](const FormMailReceived& mail) { row.sender_sealed = mail.pii_sealed; }));
    KAKITOME_RETURN_IF_ERROR(when<FormParsed>(
        event, [&](const FormParsed& form) { row.form_sealed = form.pii_sealed; }));
    rows_[*application] = std::move(row);
    changed.insert(*application);
    return Status::ok();
}

std::vector<std::string> DirectoryProjection::keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, row] : rows_) keys.push_back(key);
    return keys;
}

std::optional<std::string> DirectoryProjection::row(const std::string& key) const {
    auto found = rows_.find(key);
    if (found == rows_.end()) return std::nullopt;
    return json{{"sender_sealed", found->second.sender_sealed},
                {"form_sealed", found->second.form_sealed},
                {"erased", found->second.erased}}
        .dump();
}

bool DirectoryProjection::load_row(const std::string& key, const std::string& bytes) {
    const auto in = json::parse(bytes, nullptr, false);
    if (!in.is_object() || !in.contains("sender_sealed") || !in.contains("form_sealed") ||
        !in.contains("erased"))
        return false;
    rows_[key] = Row{in["sender_sealed"], in["form_sealed"], in["erased"]};
    return true;
}

Result<DirectoryEntry> DirectoryProjection::read(const std::string& application,
                                                 const DataKeyVault& vault) const {
    auto found = rows_.find(application);
    if (found == rows_.end())
        return Status::not_found("no application " + application)
            .with_reason("unknown_application");
    DirectoryEntry entry;
    entry.application = application;
    auto contact = workflow::open_applicant_contact(application, found->second.sender_sealed,
                                                    found->second.form_sealed, vault);
    if (found->second.erased || (!contact.is_ok() && contact.status().reason() == "erased")) {
        entry.erased = true;
        entry.organization = entry.contact_email = entry.sender = entry.sender_name =
            entry.filename = "[erased]";
        return entry;
    }
    if (!contact.is_ok()) return contact.status();
    entry.organization = contact->organization;
    entry.contact_email = contact->contact_email;
    entry.sender = contact->sender;
    entry.sender_name = contact->sender_name;
    entry.filename = contact->filename;
    return entry;
}

}  // namespace kakitome
