// DirectoryProjection: who each application is — organisation, contact address, sender — for
// staff. The rows hold only the sealed PII as it appears in the events; `read()` opens it with
// the application's data key at the moment of reading (and the API records that as a
// disclosure). An erased application reads as "[erased]" in every field.
#pragma once

#include <map>
#include <string>

#include "events/data_key_vault.h"
#include "projections/projection.h"

namespace kakitome {

struct DirectoryEntry {
    std::string application;
    std::string organization;
    std::string contact_email;
    std::string sender;
    std::string sender_name;
    std::string filename;
    bool erased = false;
};

class DirectoryProjection : public Projection {
  public:
    std::string name() const override { return "directory"; }
    int row_format() const override { return 1; }
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { rows_.erase(key); }

    // not_found for an unknown application.
    Result<DirectoryEntry> read(const std::string& application, const DataKeyVault& vault) const;

  private:
    struct Row {
        std::string sender_sealed, form_sealed;
        bool erased = false;
    };
    std::map<std::string, Row> rows_;
};

}  // namespace kakitome
