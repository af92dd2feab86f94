#include "projections/directory_projection.h"

#include <nlohmann/json.hpp>

#include "engine/workflow/applicant_contact.h"

namespace kakitome {

using nlohmann::json;

void DirectoryProjection::apply(const RecordedEvent& event, std::set<std::string>& changed) {
    if (event.stream.rfind("application-", 0) != 0) return;
    if (event.type != "FormMailReceived" && event.type != "FormParsed" &&
        event.type != "ApplicationErased")
        return;
    const std::string application = event.stream.substr(12);
    Row& row = rows_[application];
    if (event.type == "ApplicationErased") {
        row.erased = true;
    } else {
        const std::string sealed = json::parse(event.payload_json).value("pii_sealed", "");
        (event.type == "FormMailReceived" ? row.sender_sealed : row.form_sealed) = sealed;
    }
    changed.insert(application);
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
