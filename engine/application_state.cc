#include "engine/application_state.h"

#include <map>

namespace kakitome {

std::string application_state(const std::vector<RecordedEvent>& events) {
    static const std::map<std::string, std::string> transitions = {
        {"FormMailReceived", "awaiting_password"}, {"PasswordRejected", "password_mismatch"},
        {"MailsPaired", "password_received"},      {"FormDecrypted", "decrypted"},
        {"ApplicationValidated", "validated"},     {"ApplicationRejected", "rejected"},
        {"UrlIssued", "url_issued"},               {"UrlDownloaded", "downloaded"},
        {"ApplicationWithdrawn", "withdrawn"},     {"ApplicationExpired", "expired"},
    };
    std::string state = "none";
    for (const auto& event : events) {
        if (auto found = transitions.find(event.type); found != transitions.end()) state = found->second;
    }
    return state;
}

}  // namespace kakitome
