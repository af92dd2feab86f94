#include "bench/queue_seed.h"

#include <vector>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"

namespace kakitome::bench {

namespace {

constexpr std::uint64_t kApplicationsPerTransaction = 100;

std::vector<NewEvent> intake_of(std::uint64_t number) {
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
                                          .consent = "同意する"}));
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

Status seed_queue(EventStore& store, std::uint64_t applications,
                  const std::function<void(const std::string&)>& progress) {
    for (std::uint64_t first = 0; first < applications; first += kApplicationsPerTransaction) {
        std::vector<StreamAppend> parts;
        for (std::uint64_t number = first;
             number < std::min(applications, first + kApplicationsPerTransaction); ++number) {
            char id[24];
            std::snprintf(id, sizeof id, "b%019llu", static_cast<unsigned long long>(number));
            parts.push_back(
                {domain::application_stream(id), ExpectedVersion::no_stream(), intake_of(number)});
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
