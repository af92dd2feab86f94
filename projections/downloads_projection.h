// DownloadsProjection: each application's download links — issued, expiry, revoked or expired,
// how often downloaded and refused, the last download. Token hashes only; no PII.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace kakitome {

struct DownloadLink {
    std::string token_sha256;
    std::string issued_at;
    std::string expires_at;
    std::string ended;  // "", "revoked", "expired"
    int downloads = 0;
    int refused = 0;
    std::string last_download_at;
};

class DownloadsProjection : public Projection {
  public:
    std::string name() const override { return "downloads"; }
    int row_format() const override { return 1; }
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { links_.erase(key); }
    const std::vector<DownloadLink>* links(const std::string& application) const;
    std::string to_json() const;

  private:
    std::map<std::string, std::vector<DownloadLink>> links_;
};

}  // namespace kakitome
