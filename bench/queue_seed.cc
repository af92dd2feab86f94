#include "bench/queue_seed.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"

namespace kakitome::bench {

namespace {

constexpr std::uint64_t kApplicationsPerTransaction = 100;

// A synthetic organisation: mostly varied names, one in a thousand a さくら病院 to search for.
std::string organization_of(std::uint64_t number) {
    static const char* kinds[] = {"医療法人社団", "社会福祉法人", "株式会社", "一般社団法人",
                                  "有限会社"};
    static const char* places[] = {"ひまわり", "北海道",     "東京", "みどり", "大阪",
                                   "青葉",     "はなみずき", "中央", "ミナト", "ＡＢＣ"};
    static const char* trades[] = {"病院", "薬局", "健康保険組合", "クリニック", "商事"};
    if (number % 1000 == 500) return "医療法人社団 さくら会 さくら病院 " + std::to_string(number);
    return std::string(kinds[number % 5]) + " " + places[(number / 5) % 10] + " " +
           trades[(number / 50) % 5] + " " + std::to_string(number % 97);
}

std::vector<NewEvent> intake_of(std::uint64_t number, std::string organization_sealed) {
    using namespace domain;
    const std::string key = std::to_string(number);
    std::vector<NewEvent> events = {
        new_event(FormMailReceived{.message_id = "<form-" + key + "@bench>",
                                   .sender_key = "k" + key,
                                   .date = "2026-11-20T09:00:00.000Z",
                                   .source = "bench"}),
    };
    if (number % 20 == 7) {
        events.push_back(
            new_event(PasswordRejected{"<password-" + key + "@bench>", "wrong_password", 1}));
        return events;
    }
    events.push_back(new_event(PasswordMailReceived{.message_id = "<password-" + key + "@bench>"}));
    events.push_back(new_event(MailsPaired{.order = "form_first"}));
    events.push_back(new_event(FormDecrypted{.method = "agile"}));
    events.push_back(new_event(FormParsed{.application_date = "2026-11-20",
                                          .usage_channels = {"official_website", "intranet"},
                                          .consent = "同意する",
                                          .pii_fields = {"organization"},
                                          .pii_sealed = std::move(organization_sealed)}));
    if (number % 10 == 3) {
        events.push_back(new_event(ApplicationRejected{.codes = {"missing_organization"}}));
    } else {
        events.push_back(new_event(ApplicationValidated{}));
    }
    if (number % 5 == 0)
        events.push_back(new_event(ApplicationAssigned{"staff-" + std::to_string(number % 7)}));
    return events;
}

}  // namespace

Status seed_queue(EventStore& store, DataKeyVault& vault, std::uint64_t applications,
                  const std::function<void(const std::string&)>& progress) {
    for (std::uint64_t first = 0; first < applications; first += kApplicationsPerTransaction) {
        std::vector<StreamAppend> parts;
        for (std::uint64_t number = first;
             number < std::min(applications, first + kApplicationsPerTransaction); ++number) {
            char id[24];
            std::snprintf(id, sizeof id, "b%019llu", static_cast<unsigned long long>(number));
            auto sealed =
                vault.seal(id, nlohmann::json{{"organization", organization_of(number)}}.dump());
            if (!sealed.is_ok()) return sealed.status();
            parts.push_back({domain::application_stream(id), ExpectedVersion::no_stream(),
                             intake_of(number, std::move(sealed).value())});
        }
        auto appended = store.append_transaction(std::move(parts));
        if (!appended.is_ok()) return appended.status();
        if ((first / kApplicationsPerTransaction) % 100 == 99)
            progress("seeded " + std::to_string(first + kApplicationsPerTransaction) +
                     " applications");
    }
    return Status::ok();
}

}  // namespace kakitome::bench
