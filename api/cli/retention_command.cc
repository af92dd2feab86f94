// kakitome retention --dry-run [--data DIR] [--config FILE] [--now TIME]
// kakitome retention [--data DIR] [--config FILE] [--now TIME]
//
// Applies the retention policy ("retention" in the configuration file; docs/operations.md) to
// every application and every mail that reached none. --dry-run changes nothing: it prints, one
// JSON line per application ({"application": ...}) and mail ({"mail": ...}) not yet erased, what
// a sweep would do (erase, held, waiting, not_due), by which rule, when it is due and what holds
// it, then a summary line; it works beside a running `serve`. Without --dry-run it
// erases what is due and not held (RetentionErased) and prints what it did; while `serve` holds
// the directory ask the server (POST /v1/retention/run as admin), or let it sweep on its own.
// Exit 0 done, 2 no policy configured or bad flags, 4 the store failed.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/retention/retention_sweep.h"

namespace kakitome::cli {

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: kakitome retention [--dry-run] [--data DIR] [--config FILE] "
                 "[--now TIME]\n");
    return kExitBadInput;
}

int report_failure(const Status& status) {
    std::fprintf(stderr, "kakitome retention: %s\n", status.to_string().c_str());
    return status.code() == StatusCode::failed_precondition ? kExitBadInput : kExitStoreError;
}

int dry_run(const Arguments& arguments) {
    auto settings = settings_and_clock_or_report("retention", arguments);
    if (!settings) return kExitBadInput;
    // Say what is missing before looking for the data.
    if (Status policy = retention::require_policy(settings->first.retention); !policy.is_ok())
        return report_failure(policy);
    auto reader = open_reader_or_report("retention", arguments);
    if (!reader) return kExitStoreError;
    auto review = retention::review_retention(*reader->store, settings->first.retention,
                                              settings->first.workflow, settings->second());
    if (!review.is_ok()) return report_failure(review.status());
    auto answer = nlohmann::json::parse(review->to_json());
    for (const char* rows : {"applications", "mails"}) {
        for (const auto& row : answer[rows]) std::printf("%s\n", row.dump().c_str());
        answer.erase(rows);
    }
    answer["dry_run"] = true;
    std::printf("%s\n", answer.dump().c_str());
    return kExitOk;
}

}  // namespace

int run_retention(const Words& words) {
    std::set<std::string> flags(kServiceFlags.begin(), kServiceFlags.end());
    auto arguments = Arguments::parse(words, flags, {"dry-run"});
    if (!arguments.is_ok() || !arguments->positionals().empty()) return usage();
    if (arguments->has("dry-run")) return dry_run(arguments.value());
    auto services = open_services_or_report("retention", arguments.value());
    if (!services) return kExitStoreError;
    auto pass = services->retention().run();
    if (!pass.is_ok()) return report_failure(pass.status());
    std::printf("%s\n", pass->to_json().c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
